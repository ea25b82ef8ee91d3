"""Sigstore verification benchmarks (issue 3).

  single:  one `hephaestus verify bundle` process vs `sigstore verify identity --offline` (sigstore-python from PyPI)
           on the same genuine public-good bundle, alternating runs. Target: hephaestus <= 1/20 of sigstore's time.
  batch:   `hephaestus verify batch` over >= 10,000 virtual-Sigstore bundles, every check on.
           Targets: >= 3,000 bundles/s on 2 cores, peak RSS < 64 MiB.
"""
import argparse
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from measure import median, run_measured, table  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "fixtures", "sigstore-python")


def single(binary, sigstore, repetitions):
    if not os.path.isdir(SHARED):
        print("single: ../shared/fixtures is absent; the genuine bundle is not available, skipped")
        return
    identity = "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2"
    issuer = "https://token.actions.githubusercontent.com"
    tools = {
        "hephaestus verify bundle": [binary, "verify", "bundle", "--bundle", "bundle_v3_github.whl.sigstore",
                                     "--certificate-identity", identity, "--certificate-oidc-issuer", issuer,
                                     "bundle_v3_github.whl"],
        "sigstore verify identity --offline": [sigstore, "verify", "identity", "--offline",
                                               "--bundle", "bundle_v3_github.whl.sigstore",
                                               "--cert-identity", identity, "--cert-oidc-issuer", issuer,
                                               "bundle_v3_github.whl"],
    }
    times = {name: [] for name in tools}
    rss = {name: 0 for name in tools}
    for name, argv in tools.items():  # warm-up (imports, page cache)
        run_measured(argv, cwd=SHARED)
    for _ in range(repetitions):
        for name, argv in tools.items():
            seconds, peak, _ = run_measured(argv, cwd=SHARED)
            times[name].append(seconds)
            rss[name] = max(rss[name], peak)
    ours = median(times["hephaestus verify bundle"])
    theirs = median(times["sigstore verify identity --offline"])
    print(f"single bundle (bundle_v3_github.whl, production), median of {repetitions} alternating runs")
    table([[name, f"{median(times[name]) * 1000:.1f}", f"{rss[name] / 2**20:.1f}"] for name in tools],
          ["tool", "ms", "peak RSS MiB"])
    print(f"ratio: hephaestus takes 1/{theirs / ours:.1f} of sigstore-python's time "
          f"(target <= 1/20: {'met' if theirs / ours >= 20 else 'NOT met'})")


def batch(binary, generator, count, repetitions):
    work = os.path.join(ROOT, "bench", "work", f"bundles-{count}")
    if not os.path.exists(os.path.join(work, "list.jsonl")):
        subprocess.run([generator, "--count", str(count), "--dir", work], check=True)
    argv = [binary, "verify", "batch", "--trusted-root", os.path.join(work, "trusted_root.json"),
            os.path.join(work, "list.jsonl")]
    run_measured(argv)  # warm the page cache
    results = [run_measured(argv) for _ in range(repetitions)]
    seconds = median([r[0] for r in results])
    peak = max(r[1] for r in results)
    print(f"verify batch over {count} virtual-Sigstore bundles (every check on), {os.cpu_count()} cores, "
          f"median of {repetitions} runs")
    table([["hephaestus verify batch", f"{seconds:.2f}", f"{count / seconds:.0f}", f"{peak / 2**20:.1f}"]],
          ["tool", "seconds", "bundles/s", "peak RSS MiB"])
    print(f"targets: >= 3,000 bundles/s -> {'met' if count / seconds >= 3000 else 'NOT met'}; "
          f"peak RSS < 64 MiB -> {'met' if peak < 64 * 2**20 else 'NOT met'}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["single", "batch", "all"])
    parser.add_argument("--binary", required=True)
    parser.add_argument("--generator", required=True)
    parser.add_argument("--sigstore", required=True)
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--repetitions", type=int, default=5)
    args = parser.parse_args()
    if args.mode in ("single", "all"):
        single(args.binary, args.sigstore, args.repetitions)
        print()
    if args.mode in ("batch", "all"):
        batch(args.binary, args.generator, args.count, min(args.repetitions, 3))


if __name__ == "__main__":
    main()
