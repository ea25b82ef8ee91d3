"""`hephaestus inventory audit` over an inventory of >= 10,000 bundles minted by the virtual Sigstore: every bundle
re-verified from its stored bytes (every check on), findings computed. For reference, `verify batch` over the same
number of bundles from files. Targets (issue 7): >= 3,000 bundles/s on 2 cores; database size and peak RSS reported.
"""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from measure import median, run_measured, table  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--generator", required=True)
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--repetitions", type=int, default=3)
    args = parser.parse_args()
    work = os.path.join(ROOT, "bench", "work", f"inventory-{args.count}")
    database = os.path.join(work, "inventory.sqlite")
    if not os.path.exists(database):
        subprocess.run([args.generator, "--count", str(args.count), "--dir", work, "--inventory"], check=True)
    root = os.path.join(work, "trusted_root.json")
    argv = [args.binary, "inventory", "audit", "--inventory", database, "--trusted-root", root, "--json", "-q"]
    times, peak = [], 0
    summary = None
    for _ in range(args.repetitions):
        output = os.path.join(work, "audit.json")
        with open(output, "wb") as handle:
            seconds, rss, _ = run_measured(argv, stdout=handle)
        times.append(seconds)
        peak = max(peak, rss)
        document = json.load(open(output))
        summary = document["summary"]
        if document["findings"]:
            raise SystemExit(f"unexpected findings: {document['findings'][:3]}")
    wall = median(times)
    bundles = summary["bundles"]
    size = sum(os.path.getsize(os.path.join(work, name)) for name in os.listdir(work) if name.startswith("inventory.sqlite"))
    print(f"inventory audit: {bundles} bundles re-verified, median of {args.repetitions} runs")
    table([["hephaestus inventory audit", f"{wall:.2f} s", f"{bundles / wall:,.0f}", f"{peak / 2**20:.1f} MiB", f"{size / 2**20:.1f} MiB"]],
          ["command", "wall", "bundles/s", "peak RSS", "database size"])
    print(f"target >= 3,000 bundles/s: {'met' if bundles / wall >= 3000 else 'MISSED'}")


if __name__ == "__main__":
    main()
