"""cleanup vs find -delete on identical trees of 200,000 files (issue 19).

The tree: src/pkgNNNN/ with .py sources (kept) and a __pycache__/ of .pyc files (removed) per package, and a build/
tree (removed). The listing runs read the template itself (they change nothing, which is checked); every removing run
gets a fresh copy of it (cp -a and sync, not timed). Measured, alternating:

  hephaestus cleanup --dry-run ROOT       vs  find ROOT -depth ( PATTERNS ) -print     (plan / list only)
  hephaestus cleanup ROOT                 vs  find ROOT -depth ( PATTERNS ) -delete    (the real removal)

After every run the surviving files are counted: both tools must leave exactly the sources. Every run is printed,
then the medians and the ratio. Target: cleanup <= 1.5x find -delete.
"""
import argparse
import os
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from measure import median, run_measured, table  # noqa: E402

FIND_PATTERNS = ["(", "-name", "__pycache__", "-o", "-path", "*/__pycache__/*", "-o", "-name", "build", "-o", "-path", "*/build/*",
                 "-o", "-name", "*.pyc", ")"]


def make_template(path, files):
    if os.path.exists(os.path.join(path, ".complete")):
        return
    shutil.rmtree(path, ignore_errors=True)
    print(f"generating a {files:,}-file tree at {path}", file=sys.stderr)
    build_files = files // 10
    per_package = 50
    packages = (files - build_files) // (2 * per_package)
    os.makedirs(os.path.join(path, ".git"))
    for p in range(packages):
        package = os.path.join(path, "src", f"pkg{p:04d}")
        cache = os.path.join(package, "__pycache__")
        os.makedirs(cache)
        for m in range(per_package):
            with open(os.path.join(package, f"m{m}.py"), "w") as source:
                source.write("x = 1\n" * 8)
            with open(os.path.join(cache, f"m{m}.cpython-312.pyc"), "wb") as compiled:
                compiled.write(b"\0" * 300)
    for d in range(build_files // 100):
        directory = os.path.join(path, "build", "lib", f"pkg{d:04d}")
        os.makedirs(directory)
        for f in range(100):
            with open(os.path.join(directory, f"f{f}.py"), "w") as built:
                built.write("y = 2\n" * 20)
    with open(os.path.join(path, ".complete"), "w"):
        pass


def count_files(path):
    return sum(len(files) for _, _, files in os.walk(path))


def fresh_copy(template, work):
    subprocess.run(["rm", "-rf", work], check=True)
    subprocess.run(["cp", "-a", template, work], check=True)
    subprocess.run(["sync"], check=True)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--files", type=int, default=200_000)
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--work", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "work"),
                        help="where the trees go (a tmpfs such as /dev/shm measures the tools, not the disk: on ext4 "
                             "mounted with discard every freed extent is a synchronous TRIM, for both tools alike)")
    args = parser.parse_args()

    work_root = args.work
    os.makedirs(work_root, exist_ok=True)
    template = os.path.join(work_root, f"cleanup-template-{args.files}")
    make_template(template, args.files)
    total = count_files(template) - 1  # .complete
    work = os.path.join(work_root, "cleanup-run")
    fresh_copy(template, work)
    kept = total - count_files(os.path.join(work, "build")) - sum(
        len(files) for root, _, files in os.walk(os.path.join(work, "src")) if root.endswith("__pycache__"))
    print(f"tree: {total:,} files, {total - kept:,} to remove, {kept:,} kept", file=sys.stderr)

    tools = {
        "hephaestus cleanup --dry-run": ([args.binary, "cleanup", "--dry-run", "--quiet", work], False),
        "find -print (list only)": (["find", work, "-depth", *FIND_PATTERNS, "-print"], False),
        "hephaestus cleanup": ([args.binary, "cleanup", "--quiet", work], True),
        "find -delete": (["find", work, "-depth", *FIND_PATTERNS, "-delete"], True),
    }
    times = {name: [] for name in tools}
    rss = {name: 0 for name in tools}
    for repetition in range(args.repetitions):
        for name, (argv, removes) in tools.items():
            target = work if removes else template
            if removes:
                fresh_copy(template, work)
            seconds, peak, _ = run_measured([target if part == work else part for part in argv])
            remaining = count_files(target) - 1
            expected = kept if removes else total
            if remaining != expected:
                raise SystemExit(f"{name}: {remaining:,} files left, expected {expected:,}")
            times[name].append(seconds)
            rss[name] = max(rss[name], peak)
            print(f"run {repetition + 1} {name}: {seconds:.3f} s, peak RSS {peak / 2**20:.1f} MiB, {remaining:,} files left")
    subprocess.run(["rm", "-rf", work], check=True)

    rows = []
    for name in tools:
        peer = "find -delete" if name.startswith("hephaestus cleanup") and "dry" not in name else "find -print (list only)"
        ratio = median(times[name]) / median(times[peer])
        rows.append([name, f"{median(times[name]):.3f}", f"{ratio:.2f}x" if name.startswith("hephaestus") else "1.00x",
                     f"{rss[name] / 2**20:.1f}"])
    print()
    table(rows, ["tool", "median s", "vs find", "peak RSS MiB"])


if __name__ == "__main__":
    main()
