"""`bench/run serve-metrics`: the cost of being scraped. `hephaestus serve`'s `POST /v1/verify/bundle` under wrk (2
threads, 16 connections, a genuine public-good bundle), unscraped and with `GET /metrics` fetched every second (as a
Prometheus server with a 1 s scrape interval would), in alternating runs of the same length. Every run is printed,
then the medians. Target (issue 18): requests/s with scraping within 5% of unscraped.

Run-to-run swings of the request rate on a shared virtual machine are as large as the target, so the scrape's own
cost is measured directly too: the server's CPU time (from /proc) over `--scrapes` back-to-back `GET /metrics` after
the load runs (the series populated), divided per scrape, and what one scrape a second costs as a share of the
machine's CPU (the cores the server and the load generator share).
"""
import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from serve_bench import request_body, wait_for_file, wrk  # noqa: E402


def scraper(url, stop, counts):
    """GET url every second until stop is set; counts scrapes and the bytes of the last one."""
    while not stop.wait(1.0):
        with urllib.request.urlopen(url, timeout=5) as response:
            counts["bytes"] = len(response.read())
        counts["scrapes"] += 1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--scrapes", type=int, default=2000)
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="serve-metrics-bench-")
    body_path = os.path.join(work, "body.json")
    with open(body_path, "w") as handle:
        json.dump(request_body(), handle)
    store = f"sqlite:{os.path.join(work, 'service.sqlite')}"
    created = subprocess.run([args.binary, "accounts", "create", "bench", "--role", "verifier", "--store", store, "--json"],
                             capture_output=True, text=True, check=True)
    token = json.loads(created.stdout)["token"]
    ports = os.path.join(work, "ports.json")
    server = subprocess.Popen([args.binary, "serve", "--listen", "127.0.0.1:0", "--grpc-listen", "off", "--store", store,
                               "--port-file", ports, "--log-level", "warning"], stderr=open(os.path.join(work, "serve.log"), "w"))
    rates = {"unscraped": [], "scraped every 1 s": []}
    try:
        wait_for_file(ports, server)
        base = f"http://{json.load(open(ports))['rest']}"
        url = base + "/v1/verify/bundle"
        wrk(url, body_path, token, 2)  # warm-up
        print(f"{'run':>3}  {'mode':<20} {'requests/s':>11} {'p99 ms':>8} {'scrapes':>8} {'/metrics bytes':>15}")
        for repetition in range(args.repetitions):
            for mode in rates:
                stop = threading.Event()
                counts = {"scrapes": 0, "bytes": 0}
                thread = None
                if mode != "unscraped":
                    thread = threading.Thread(target=scraper, args=(base + "/metrics", stop, counts))
                    thread.start()
                try:
                    rate, p99, _ = wrk(url, body_path, token, args.seconds)
                finally:
                    stop.set()
                    if thread:
                        thread.join()
                rates[mode].append(rate)
                print(f"{repetition + 1:>3}  {mode:<20} {rate:>11.0f} {p99:>8.2f} {counts['scrapes']:>8} {counts['bytes']:>15}", flush=True)
        before = cpu_seconds(server.pid)
        for _ in range(args.scrapes):
            with urllib.request.urlopen(base + "/metrics", timeout=5) as response:
                response.read()
        per_scrape = (cpu_seconds(server.pid) - before) / args.scrapes
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
    share = per_scrape / os.cpu_count() * 100
    print(f"one scrape: {per_scrape * 1000:.3f} ms of the server's CPU (over {args.scrapes} scrapes); one scrape a second: "
          f"{share:.3f}% of the {os.cpu_count()} cores (target within 5%: {'met' if share <= 5 else 'NOT met'})")
    unscraped = statistics.median(rates["unscraped"])
    scraped = statistics.median(rates["scraped every 1 s"])
    change = (scraped - unscraped) / unscraped * 100
    print(f"median requests/s: unscraped {unscraped:.0f}, scraped every 1 s {scraped:.0f} ({change:+.1f}%; target: at most 5% "
          f"fewer: {'met' if change >= -5 else 'NOT met'})")


def cpu_seconds(pid):
    """User + system CPU seconds of a process, from /proc/PID/stat (fields 14 and 15, in clock ticks)."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
