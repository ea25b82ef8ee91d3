"""Upload 100 small wheels to a local pypiserver (from PyPI) with `hephaestus publish pypi` and with `twine upload`
(from PyPI), alternating runs against one running index on 127.0.0.1 per deployment (warmed up by an untimed round,
emptied before every run so each client uploads every file).

pypiserver is measured in two deployments:
  * `pypi-server run` as it starts by default: Python's single-threaded wsgiref server, one request at a time;
  * `gunicorn -w 4 'pypiserver:app(...)'`, the multi-process deployment pypiserver's README shows.
A third, informative section replaces pypiserver with a stand-in that answers each upload at once, to show what the
clients themselves cost. Each reports wall time per run (median), per-file time, peak RSS, and the hephaestus/twine ratio. A "floor" row
measures the index itself: a bare Python client (http.client, no validation, no hashing, the same fields) posting the
same uploads one after another — no sequential uploader can beat it against that deployment. twine uploads one file
at a time; `publish pypi --jobs N` uploads the first file alone, then N at a time.
"""
import argparse
import base64
import http.client
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from measure import median, run_measured, table  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASSWORD = "bench-password"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# Not pypiserver: an index stand-in that reads each upload and answers 200 at once (it only records the file name, so the
# benchmark can count uploads), to show what the clients themselves cost.
INSTANT_INDEX = r"""
import asyncio, os, re, sys
port, packages = int(sys.argv[1]), sys.argv[2]
async def serve(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(re.search(rb"(?im)^content-length:\s*(\d+)", head).group(1)) if b"ength:" in head else 0
            body = await reader.readexactly(length)
            found = re.search(rb'filename="([^"]+)"', body)
            if found:
                open(os.path.join(packages, found.group(1).decode()), "wb").close()
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    writer.close()
async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", port, backlog=128)
    async with server:
        await server.serve_forever()
asyncio.run(main())
"""


class Index:
    """A fresh pypiserver with an htpasswd-guarded upload, in one of two deployments."""

    def __init__(self, venv, scratch, deployment):
        self.directory = tempfile.mkdtemp(prefix="index-", dir=scratch)
        packages = os.path.join(self.directory, "packages")
        os.makedirs(packages)
        digest = subprocess.run(["openssl", "passwd", "-apr1", PASSWORD], check=True, capture_output=True, text=True).stdout.strip()
        htpasswd = os.path.join(self.directory, "htpasswd")
        with open(htpasswd, "w") as handle:
            handle.write(f"uploader:{digest}\n")
        self.port = free_port()
        if deployment == "instant":
            argv = [sys.executable, "-c", INSTANT_INDEX, str(self.port), packages]
        elif deployment == "wsgiref":
            argv = [os.path.join(venv, "bin", "pypi-server"), "run", "-i", "127.0.0.1", "-p", str(self.port), "-P", htpasswd,
                    "-a", "update", "--disable-fallback", "--server", "wsgiref", "--backend", "simple-dir", packages]
        else:
            application = f"pypiserver:app(roots=[{packages!r}], password_file={htpasswd!r}, authenticate=['update'], disable_fallback=True, backend_arg='simple-dir')"
            argv = [os.path.join(venv, "bin", "gunicorn"), "-w", "4", "-b", f"127.0.0.1:{self.port}",
                    "--control-socket", os.path.join(self.directory, "gunicorn.ctl"), application]
        self.process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.packages = packages
        deadline = time.time() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/simple/", timeout=1).read()
                break
            except Exception:
                if time.time() > deadline or self.process.poll() is not None:
                    raise SystemExit(f"pypiserver ({deployment}) did not start")
                time.sleep(0.05)

    def empty(self):
        """Removes every uploaded file (the simple-dir backend lists the directory on each request, so no cache lags)."""
        for name in os.listdir(self.packages):
            os.remove(os.path.join(self.packages, name))

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/"

    def stop(self):
        self.process.terminate()
        self.process.wait()


def bare_uploads(index, files):
    """Posts every file as a minimal legacy-API upload with http.client; returns the wall time."""
    authorization = "Basic " + base64.b64encode(f"uploader:{PASSWORD}".encode()).decode()
    start = time.perf_counter()
    for path in files:
        name = os.path.basename(path)
        boundary = "hephaestus-bench-boundary"
        fields = [(":action", "file_upload"), ("protocol_version", "1"), ("metadata_version", "2.1"), ("name", name.split("-")[0]),
                  ("version", "1.0.0"), ("filetype", "bdist_wheel"), ("pyversion", "py3"), ("sha256_digest", "0" * 64),
                  ("blake2_256_digest", "0" * 64), ("summary", "A benchmark wheel."), ("description", "Package.\n\nA benchmark wheel.\n")]
        parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode() for key, value in fields]
        with open(path, "rb") as handle:
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="content"; filename="{name}"\r\n'
                         f'Content-Type: application/octet-stream\r\n\r\n'.encode() + handle.read() + b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        connection = http.client.HTTPConnection("127.0.0.1", index.port)
        connection.request("POST", "/", b"".join(parts), {"Content-Type": f"multipart/form-data; boundary={boundary}",
                                                          "Authorization": authorization})
        response = connection.getresponse()
        response.read()
        connection.close()
        if response.status != 200:
            raise SystemExit(f"bare upload of {name} answered {response.status}")
    return time.perf_counter() - start


def measure(deployment, venv, binary, scratch, files, repetitions, jobs):
    """Runs every client, alternating, against one running index of a deployment, emptied before each run and warmed up
    by an untimed round first; returns {client: [seconds]}, {client: peak RSS}."""
    twine = os.path.join(venv, "bin", "twine")
    clients = {"hephaestus": None}
    if jobs > 1:
        clients[f"hephaestus --jobs {jobs}"] = jobs
    clients["twine"] = None
    results = {name: [] for name in clients}
    results["floor"] = []
    rss = {name: 0 for name in clients}
    index = Index(venv, scratch, deployment)
    try:
        bare_uploads(index, files)
        for _ in range(repetitions):
            index.empty()
            results["floor"].append(bare_uploads(index, files))
            for name, parallel in clients.items():
                index.empty()
                if name == "twine":
                    argv = [twine, "upload", "--non-interactive", "--disable-progress-bar", "--repository-url", index.url, *files]
                else:
                    argv = [binary, "publish", "pypi", "-q", "--repository-url", index.url, *files]
                    if parallel:
                        argv[4:4] = ["--jobs", str(parallel)]
                seconds, peak, _ = run_measured(argv)
                uploaded = len(os.listdir(index.packages))
                if uploaded != len(files):
                    raise SystemExit(f"{name} uploaded {uploaded} of {len(files)} files")
                results[name].append(seconds)
                rss[name] = max(rss[name], peak)
    finally:
        index.stop()
    return results, rss


def report(title, results, rss, count):
    print(title)
    rows = []
    for name, runs in results.items():
        wall = median(runs)
        label = "floor: bare http.client, sequential" if name == "floor" else name
        rows.append([label, f"{wall:.2f} s", f"{wall / count * 1000:.1f} ms", f"{rss[name] / 1048576:.1f} MiB" if name in rss else "",
                     " ".join(f"{value:.2f}" for value in runs)])
    table(rows, ["client", "wall", "per file", "peak RSS", "runs (s)"])
    twine = median(results["twine"])
    ratios = [f"{name} / twine = {median(runs) / twine:.2f}" for name, runs in results.items() if name != "twine"]
    print("ratios: " + "; ".join(ratios) + " (target <= 0.33)\n")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--venv", required=True, help="a venv with pypiserver[passlib], gunicorn and twine")
    parser.add_argument("--wheels", type=int, default=100)
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=8, help="parallel uploads (publish pypi --jobs) for the multi-process deployment")
    args = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="hephaestus-publish-bench-")
    try:
        dist = os.path.join(scratch, "dist")
        for index in range(args.wheels):
            subprocess.run([sys.executable, os.path.join(ROOT, "fixtures/wheels/make_wheel.py"), dist, f"bench-pkg-{index:03}", "1.0.0",
                            "--modules", "3", "--description", f"Package {index}.\n\nA benchmark wheel.\n"],
                           check=True, stdout=subprocess.DEVNULL)
        files = sorted(os.path.join(dist, name) for name in os.listdir(dist))
        total_bytes = sum(os.path.getsize(path) for path in files)
        os.environ.update(TWINE_USERNAME="uploader", TWINE_PASSWORD=PASSWORD)
        print(f"Uploading {len(files)} wheels ({total_bytes / 1024:.0f} KiB in all) to a local pypiserver emptied before each run, "
              f"median of {args.repetitions} runs\n")
        results, rss = measure("wsgiref", args.venv, args.binary, scratch, files, args.repetitions, 1)
        report("pypiserver's default server (`pypi-server run`: wsgiref, one request at a time)", results, rss, len(files))
        results, rss = measure("gunicorn", args.venv, args.binary, scratch, files, args.repetitions, args.jobs)
        report("pypiserver under `gunicorn -w 4` (the multi-process deployment in pypiserver's README)", results, rss, len(files))
        results, rss = measure("instant", args.venv, args.binary, scratch, files, args.repetitions, args.jobs)
        report("not pypiserver: an index stand-in that answers each upload at once (what the clients themselves cost)", results, rss, len(files))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
