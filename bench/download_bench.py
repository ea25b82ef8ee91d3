"""Download one large asset from a loopback GitHub-shaped server with `hephaestus release download` (which also
computes SHA-256 in the same pass and checks it against the API's digest) and with `curl -o` (which does neither),
alternating runs. Targets (issue 4): >= 0.9x curl's throughput; peak RSS < 32 MiB.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from digest_bench import make_input  # noqa: E402
from measure import median, run_measured, table  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--repetitions", type=int, default=3)
    args = parser.parse_args()
    work = os.path.join(ROOT, "bench", "work")
    os.makedirs(work, exist_ok=True)
    source = os.path.join(work, f"digest-{args.size_mib}MiB.bin")
    size = args.size_mib << 20
    make_input(source, size)

    scratch = tempfile.mkdtemp(prefix="hephaestus-download-bench-")
    config = os.path.join(scratch, "config.json")
    ports_file = os.path.join(scratch, "ports.json")
    json.dump({"repos": {"octo/bench": {"releases": [{"id": 1, "tag_name": "v1", "published_at": "2026-01-01T00:00:00Z",
                                                       "assets": [{"id": 7, "name": "big.bin", "file": source}]}]}}},
              open(config, "w"))
    server = subprocess.Popen([sys.executable, os.path.join(ROOT, "fixtures", "github-server", "server.py"),
                               "--config", config, "--port-file", ports_file])
    try:
        while not os.path.exists(ports_file):
            time.sleep(0.1)
        ports = json.load(open(ports_file))
        environment = dict(os.environ)
        environment.pop("GITHUB_TOKEN", None)
        environment.pop("GH_TOKEN", None)
        ours_dir = os.path.join(scratch, "ours")
        curl_dir = os.path.join(scratch, "curl")
        tools = {
            "hephaestus release download (+SHA-256)": ([args.binary, "release", "download", "--repository", "octo/bench",
                                                         "--tag", "v1", "--api-url", f"http://127.0.0.1:{ports['api']}",
                                                         "--dest", ours_dir, "-q"], ours_dir),
            "curl -o": (["curl", "-s", "-f", "-o", os.path.join(curl_dir, "big.bin"),
                         f"http://127.0.0.1:{ports['storage']}/blobs/7"], curl_dir),
        }
        # One untimed round first: the server's first transfers and the first 1 GiB of page cache are slower for
        # whichever tool meets them; both tools then run under the same conditions.
        for name, (argv, directory) in tools.items():
            shutil.rmtree(directory, ignore_errors=True)
            os.makedirs(directory)
            run_measured(argv)
            shutil.rmtree(directory, ignore_errors=True)
        times = {name: [] for name in tools}
        rss = {name: 0 for name in tools}
        for _ in range(args.repetitions):
            for name, (argv, directory) in tools.items():
                shutil.rmtree(directory, ignore_errors=True)
                os.makedirs(directory)
                seconds, peak, _ = run_measured(argv)
                assert os.path.getsize(os.path.join(directory, "big.bin")) == size, name
                times[name].append(seconds)
                rss[name] = max(rss[name], peak)
                shutil.rmtree(directory, ignore_errors=True)
        curl = size / 1e6 / median(times["curl -o"])
        rows = []
        for name in tools:
            rate = size / 1e6 / median(times[name])
            rows.append([name, f"{median(times[name]):.2f}", f"{rate:.0f}", f"{rate / curl:.2f}x", f"{rss[name] / 2**20:.1f}",
                         " ".join(f"{value:.2f}" for value in times[name])])
        print(f"download of {args.size_mib} MiB from a loopback server, median of {args.repetitions} alternating runs")
        table(rows, ["tool", "seconds", "MB/s", "vs curl", "peak RSS MiB", "runs (s)"])
        ours = size / 1e6 / median(times["hephaestus release download (+SHA-256)"])
        peak = rss["hephaestus release download (+SHA-256)"]
        print(f"\ntargets: >= 0.9x curl -> {ours / curl:.2f}x ({'met' if ours / curl >= 0.9 else 'NOT met'}); "
              f"peak RSS < 32 MiB -> {peak / 2**20:.1f} MiB ({'met' if peak < 32 * 2**20 else 'NOT met'})")
    finally:
        server.kill()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
