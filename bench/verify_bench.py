"""Sigstore verification benchmarks (issue 3).

  single:  one `hephaestus verify bundle` process vs `sigstore verify identity --offline` (sigstore-python from PyPI)
           on the same genuine public-good bundle, alternating runs. Target: hephaestus <= 1/20 of sigstore's time.
  batch:   `hephaestus verify batch` over >= 10,000 public-good-shaped bundles per shape, every check on: the genuine
           passing Rekor v1 bundles of ../shared/fixtures/sigstore-python repeated (one list per trusted root), and
           generated ones (leaf by an intermediate chaining to the root, P-384 as Fulcio's and P-256, GitHub claims,
           SCT, SET, inclusion proof, checkpoint), beside the ceiling `openssl speed` gives.
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


def openssl_verifications_per_second():
    """ECDSA verifications per second per core on this machine, by `openssl speed` (P-256 and P-384)."""
    out = subprocess.run(["openssl", "speed", "-seconds", "1", "ecdsap256", "ecdsap384"], capture_output=True, text=True).stdout
    rates = {}
    for line in out.splitlines():
        fields = line.split()
        if "ecdsa" in line and "(nistp" in line and len(fields) >= 2:
            curve = line.split("(nistp")[1].split(")")[0]
            rates[curve] = float(fields[-1])
    return rates.get("256"), rates.get("384")


def genuine_lists(count, work):
    """The passing Rekor v1 cases of ../shared/fixtures/sigstore-python/cases.json (SET, inclusion proof and
    checkpoint, certificate, no extra trust), one list per trusted root, the cases repeated to `count` lines."""
    cases_path = os.path.join(SHARED, "cases.json")
    if not os.path.exists(cases_path):
        return []
    groups = {}
    for case in json.load(open(cases_path)):
        if case["expect"] != "pass" or case.get("trust_overrides") or case["instance"] not in ("production", "staging"):
            continue
        bundle = json.load(open(os.path.join(SHARED, case["bundle"])))
        entries = bundle.get("verificationMaterial", {}).get("tlogEntries", [])
        if not entries or not all("inclusionPromise" in e and "checkpoint" in e.get("inclusionProof", {}) for e in entries):
            continue
        groups.setdefault(case["instance"], []).append(case)
    lists = []
    os.makedirs(work, exist_ok=True)
    for instance, cases in sorted(groups.items()):
        lines = []
        for case in cases:
            lines.append(json.dumps({"bundle": os.path.join(SHARED, case["bundle"]), "artifact": os.path.join(SHARED, case["artifact"]),
                                     "identity": case["identity"], "issuer": case["issuer"]}))
        path = os.path.join(work, f"genuine-{instance}-{count}.jsonl")
        with open(path, "w") as handle:
            handle.write("".join(lines[i % len(lines)] + "\n" for i in range(count)))
        root = os.path.normpath(os.path.join(SHARED, cases[0]["trusted_root"]))
        names = ", ".join(sorted({c["bundle"] for c in cases}))
        lists.append((f"genuine {instance}, repeated ({names})", path, root, "p384"))
    return lists


def generated_list(generator, count, work, intermediate):
    directory = os.path.join(work, f"public-good-{intermediate}-{count}")
    if not os.path.exists(os.path.join(directory, "list.jsonl")):
        subprocess.run([generator, "--count", str(count), "--dir", directory, "--shape", "public-good",
                        "--intermediate-key", f"ecdsa-{intermediate}"], check=True, stdout=subprocess.DEVNULL)
    return (f"generated public-good shape, {intermediate.upper()} intermediate, distinct leaves", os.path.join(directory, "list.jsonl"),
            os.path.join(directory, "trusted_root.json"), intermediate)


def batch(binary, generator, count, repetitions):
    """`verify batch` on public-good-shaped bundles: genuine ones repeated and generated ones (each with its own leaf,
    issued by an intermediate that chains to the root), beside the ceiling that ECDSA alone sets on this machine."""
    work = os.path.join(ROOT, "bench", "work")
    cores = os.cpu_count()
    p256, p384 = openssl_verifications_per_second()
    shapes = genuine_lists(count, work) + [generated_list(generator, count, work, "p384"), generated_list(generator, count, work, "p256")]
    rows = []
    for name, path, root, intermediate in shapes:
        argv = [binary, "verify", "batch", "--trusted-root", root, path]
        run_measured(argv)  # warm the page cache
        results = [run_measured(argv) for _ in range(repetitions)]
        seconds = median([r[0] for r in results])
        peak = max(r[1] for r in results)
        # Fresh verifications per bundle: leaf by intermediate (P-256 or P-384), SCT, SET, checkpoint, artifact (P-256).
        per_core = 1 / (4 / p256 + 1 / (p384 if intermediate == "p384" else p256)) if p256 and p384 else None
        ceiling = f"{cores * per_core:.0f}" if per_core else "?"
        rows.append([name, f"{seconds:.2f}", " ".join(f"{count / r[0]:.0f}" for r in results), f"{count / seconds:.0f}", ceiling,
                     f"{peak / 2**20:.1f}", "met" if count / seconds >= 3000 and peak < 64 * 2**20 else "NOT met"])
    print(f"verify batch over {count} bundles per shape (every check on), {cores} cores, median of {repetitions} runs; "
          f"openssl speed: {p256:.0f} P-256 and {p384:.0f} P-384 verifications/s per core")
    table(rows, ["shape", "seconds", "bundles/s (each run)", "bundles/s", "ceiling/s (fresh)", "peak RSS MiB", ">= 3,000/s, < 64 MiB"])
    print("ceiling (fresh): cores / (4 P-256 verifications + the leaf's by its intermediate), nothing remembered; genuine bundles "
          "repeated share one leaf and checkpoint, which a run verifies once (leaf, SCT, checkpoint), so they may pass it. "
          "Wall-clock figures are noisy on a shared machine.")


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
