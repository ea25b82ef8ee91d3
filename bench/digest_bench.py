"""Hash one large generated file with hephaestus digest, sha256sum and openssl dgst -sha256, alternating runs.

Prints throughput (MB/s, median of the repetitions), ratios to openssl, and peak RSS.
Targets (issue 2): hephaestus >= 0.95x openssl dgst throughput; peak RSS < 32 MiB whatever the file size.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from measure import median, run_measured, table  # noqa: E402


def make_input(path, size):
    if os.path.exists(path) and os.path.getsize(path) == size:
        return
    print(f"generating {size >> 20} MiB of random data at {path}", file=sys.stderr)
    chunk = 1 << 24
    with open(path, "wb") as output:
        remaining = size
        while remaining:
            n = min(chunk, remaining)
            output.write(os.urandom(n))
            remaining -= n


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--repetitions", type=int, default=5)
    args = parser.parse_args()

    work = os.path.join(os.path.dirname(__file__), "work")
    os.makedirs(work, exist_ok=True)
    path = os.path.join(work, f"digest-{args.size_mib}MiB.bin")
    size = args.size_mib << 20
    make_input(path, size)

    tools = {
        "hephaestus digest": [args.binary, "digest", path],
        "sha256sum": ["sha256sum", path],
        "openssl dgst -sha256": ["openssl", "dgst", "-sha256", path],
    }
    # Warm the page cache so every tool reads from memory.
    run_measured(["cat", path])
    times = {name: [] for name in tools}
    rss = {name: 0 for name in tools}
    for _ in range(args.repetitions):
        for name, argv in tools.items():
            seconds, peak, _ = run_measured(argv)
            times[name].append(seconds)
            rss[name] = max(rss[name], peak)

    base = size / 1e6
    openssl_rate = base / median(times["openssl dgst -sha256"])
    rows = []
    for name in tools:
        rate = base / median(times[name])
        rows.append([name, f"{median(times[name]):.3f}", f"{rate:.0f}", f"{rate / openssl_rate:.2f}x", f"{rss[name] / 2**20:.1f}"])
    print(f"SHA-256 of {args.size_mib} MiB, median of {args.repetitions} alternating runs (page cache warm)")
    table(rows, ["tool", "seconds", "MB/s", "vs openssl", "peak RSS MiB"])
    ours = base / median(times["hephaestus digest"])
    print()
    print(f"target: hephaestus >= 0.95x openssl -> {ours / openssl_rate:.2f}x "
          f"({'met' if ours / openssl_rate >= 0.95 else 'NOT met'}); "
          f"peak RSS < 32 MiB -> {rss['hephaestus digest'] / 2**20:.1f} MiB "
          f"({'met' if rss['hephaestus digest'] < 32 * 2**20 else 'NOT met'})")


if __name__ == "__main__":
    main()
