"""Wheelhouse install pipeline benchmark (issue 5).

A >= 200 MB wheelhouse of ~50 wheels, each like a real binary wheel (a 3.5 MiB incompressible extension-like payload
plus 150 small Python modules), signed by a virtual Sigstore:
  1. `hephaestus wheelhouse extract` vs `bsdtar -xf` on the same archive, alternating runs.
     Target: <= 1.1x bsdtar's time.
  2. `hephaestus release install --require-sigstore` into a fresh venv: time per stage.
     Target: all checks except pip together <= 10% of the full install time.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from measure import median, run_measured, table  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IDENTITY = "https://github.com/octo/wheels/.github/workflows/release.yml@refs/tags/v1.0.0"


def build_wheelhouse(work, wheels, payload, modules):
    archive = os.path.join(work, "bench-1.0.0-wheelhouse.tar.gz")
    if os.path.exists(archive + ".sigstore.json"):
        return archive
    source = os.path.join(work, "wheels")
    shutil.rmtree(source, ignore_errors=True)
    for index in range(wheels):
        subprocess.run([sys.executable, os.path.join(ROOT, "fixtures", "wheels", "make_wheel.py"), source,
                        f"bench-pkg-{index:02d}", "1.0.0", "--payload-bytes", str(payload), "--modules", str(modules)],
                       check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["tar", "czf", archive, "-C", source, "."], check=True)
    digest = subprocess.run(["sha256sum", archive], check=True, capture_output=True, text=True).stdout.split()[0]
    open(archive + ".sha256", "w").write(f"{digest}  {os.path.basename(archive)}\n")
    return archive


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--generator", required=True)
    parser.add_argument("--wheels", type=int, default=50)
    parser.add_argument("--payload-mib", type=float, default=4.1)
    parser.add_argument("--modules", type=int, default=150)
    parser.add_argument("--repetitions", type=int, default=5)
    args = parser.parse_args()
    work = os.path.join(ROOT, "bench", "work", f"install-{args.wheels}x{args.payload_mib}MiB-{args.modules}")
    os.makedirs(work, exist_ok=True)
    archive = build_wheelhouse(work, args.wheels, int(args.payload_mib * (1 << 20)), args.modules)
    if not os.path.exists(archive + ".sigstore.json"):
        subprocess.run([args.generator, "--sign-file", archive, "--dir", work, "--identity", IDENTITY], check=True)
    size = os.path.getsize(archive)
    scratch = tempfile.mkdtemp(prefix="hephaestus-install-bench-")
    try:
        tools = {
            "hephaestus wheelhouse extract": lambda d: [args.binary, "wheelhouse", "extract", archive, "--dest", d, "-q"],
            "bsdtar -xf": lambda d: ["bsdtar", "-xf", archive, "-C", d],
        }
        times = {name: [] for name in tools}
        for repetition in range(args.repetitions):
            for name, make in tools.items():
                destination = os.path.join(scratch, f"x{repetition}-{name.split()[0]}")
                if name.startswith("bsdtar"):
                    os.makedirs(destination)
                seconds, _, _ = run_measured(make(destination))
                times[name].append(seconds)
                shutil.rmtree(destination)
        ours = median(times["hephaestus wheelhouse extract"])
        theirs = median(times["bsdtar -xf"])
        print(f"extraction of {size / 1e6:.0f} MB ({args.wheels} wheels), median of {args.repetitions} alternating runs")
        table([[name, f"{median(values):.3f}"] for name, values in times.items()], ["tool", "seconds"])
        print(f"ratio: {ours / theirs:.2f}x bsdtar (target <= 1.1x: {'met' if ours / theirs <= 1.1 else 'NOT met'})\n")

        venv = os.path.join(scratch, "venv")
        subprocess.run([sys.executable, "-m", "venv", venv], check=True)
        result = subprocess.run(
            [args.binary, "release", "install", "--archive", archive, "--venv", venv, "--json", "--require-sigstore",
             "--sigstore-identity", "https://github.com/octo/wheels/.github/workflows/release.yml@refs/tags/*",
             "--trusted-root", os.path.join(work, "trusted_root.json"), "--workdir", scratch],
            check=True, capture_output=True, text=True)
        stages = json.loads(result.stdout)["stages"]
        total = sum(stage["seconds"] for stage in stages)
        checks = sum(stage["seconds"] for stage in stages if not stage["name"].startswith("install"))
        print(f"release install --require-sigstore of the same wheelhouse into a fresh venv: {total:.2f} s")
        table([[stage["name"], f"{stage['seconds']:.3f}", f"{100 * stage['seconds'] / total:.1f}%"] for stage in stages],
              ["stage", "seconds", "share"])
        print(f"checks (everything but pip): {checks:.2f} s = {100 * checks / total:.1f}% of the install "
              f"(target <= 10%: {'met' if checks / total <= 0.10 else 'NOT met'})")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
