"""Upload 100 small wheels to a local pypiserver (from PyPI) with `hephaestus publish pypi` and with
`twine upload` (from PyPI), alternating runs; each run gets a fresh index on 127.0.0.1 so both upload every file.
Reports wall time per run (median), per-file latency, peak RSS, and the ratio. A third row measures the index itself:
a bare Python client (http.client, no validation, no hashing) posting the same multipart uploads one after another —
the floor any sequential uploader meets against this server.
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


class Index:
    """A fresh pypiserver with an htpasswd-guarded upload."""

    def __init__(self, pypi_server, scratch, server, backend):
        self.directory = tempfile.mkdtemp(prefix="index-", dir=scratch)
        packages = os.path.join(self.directory, "packages")
        os.makedirs(packages)
        digest = subprocess.run(["openssl", "passwd", "-apr1", PASSWORD], check=True, capture_output=True, text=True).stdout.strip()
        htpasswd = os.path.join(self.directory, "htpasswd")
        with open(htpasswd, "w") as handle:
            handle.write(f"uploader:{digest}\n")
        self.port = free_port()
        self.process = subprocess.Popen([pypi_server, "run", "-i", "127.0.0.1", "-p", str(self.port), "-P", htpasswd, "-a", "update",
                                         "--disable-fallback",
                                         "--server", server, "--backend", backend, packages], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.packages = packages
        deadline = time.time() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/simple/", timeout=1).read()
                break
            except Exception:
                if time.time() > deadline or self.process.poll() is not None:
                    raise SystemExit("pypiserver did not start")
                time.sleep(0.05)

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
        fields = [(":action", "file_upload"), ("protocol_version", "1"), ("name", name.split("-")[0]), ("version", "1.0.0"),
                  ("filetype", "bdist_wheel"), ("pyversion", "py3"), ("metadata_version", "2.1")]
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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--venv", required=True, help="a venv with pypiserver[passlib] and twine")
    parser.add_argument("--wheels", type=int, default=100)
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--index-server", default="wsgiref")
    parser.add_argument("--index-backend", default="simple-dir")
    args = parser.parse_args()
    pypi_server = os.path.join(args.venv, "bin", "pypi-server")
    twine = os.path.join(args.venv, "bin", "twine")

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
        results = {"hephaestus": [], "twine": []}
        rss = {"hephaestus": 0, "twine": 0}
        floor = []
        for _ in range(args.repetitions):
            index = Index(pypi_server, scratch, args.index_server, args.index_backend)
            try:
                floor.append(bare_uploads(index, files))
            finally:
                index.stop()
            for tool in ["hephaestus", "twine"]:
                index = Index(pypi_server, scratch, args.index_server, args.index_backend)
                try:
                    if tool == "hephaestus":
                        argv = [args.binary, "publish", "pypi", "-q", "--repository-url", index.url, *files]
                    else:
                        argv = [twine, "upload", "--non-interactive", "--disable-progress-bar", "--repository-url", index.url, *files]
                    seconds, peak, _ = run_measured(argv)
                    uploaded = len(os.listdir(index.packages))
                    if uploaded != len(files):
                        raise SystemExit(f"{tool} uploaded {uploaded} of {len(files)} files")
                    results[tool].append(seconds)
                    rss[tool] = max(rss[tool], peak)
                finally:
                    index.stop()
        rows = []
        for tool in ["hephaestus", "twine"]:
            wall = median(results[tool])
            rows.append([tool, f"{wall:.2f} s", f"{wall / len(files) * 1000:.1f} ms", f"{rss[tool] / 1048576:.1f} MiB",
                         " ".join(f"{value:.2f}" for value in results[tool])])
        rows.append(["index floor (bare http.client)", f"{median(floor):.2f} s", f"{median(floor) / len(files) * 1000:.1f} ms", "",
                     " ".join(f"{value:.2f}" for value in floor)])
        ratio = median(results["hephaestus"]) / median(results["twine"])
        print(f"Uploading {len(files)} wheels ({total_bytes / 1024:.0f} KiB in all) to a fresh local pypiserver per run, "
              f"median of {args.repetitions} runs")
        table(rows, ["tool", "wall", "per file", "peak RSS", "runs (s)"])
        print(f"hephaestus / twine wall time: {ratio:.2f} (target <= 0.33); "
              f"the index floor alone is {median(floor) / median(results['twine']):.2f} of twine's time")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
