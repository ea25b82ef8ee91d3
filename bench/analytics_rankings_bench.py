#!/usr/bin/env python3
"""`hephaestus analytics rankings` vs code-maat-python on the same repository of N commits (default 10,000).

The repository is generated with `git fast-import` (deterministic: 400 Python files in 20 packages, 1–6 files per
commit, every 97th commit a rename, every 500th a bulk change of 40 files, 6 authors). Each run is timed:

- the log both read: `git log -M --numstat --date=short --pretty=format:--%h--%cd--%cn > log` (code-maat's format);
- code-maat-python: `code-maat revisions`, `entity-churn` and `coupling` on the log (the three analyses whose figures
  the rankings use);
- hephaestus on the same log: `analytics rankings --strategy composite --json --log LOG` (it also reads every file of
  the work tree for its complexity, and ranks);
- hephaestus end to end: `analytics rankings --strategy composite --json` (it runs git log itself), compared with
  git log + code-maat-python.

Every run is printed; the ratios are of the medians."""
import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time


def fast_import_stream(commits, seed=7):
    rng = random.Random(seed)
    authors = ["Ada", "Brian", "Chen", "Dana", "Eve", "Femi"]
    files = [f"src/pkg{p:02d}/module_{m:02d}.py" for p in range(20) for m in range(20)]
    versions = {path: 0 for path in files}
    out = []

    def body(path, version):
        lines = [f'"""{path} v{version}"""', ""]
        for f in range(3 + version % 7):
            lines += [f"def f{f}(x):", f"    if x > {f}:", "        for i in range(x):", "            x -= i", "    return x", ""]
        data = "\n".join(lines).encode()
        return b"data %d\n%s\n" % (len(data), data)

    for n in range(commits):
        author = authors[n % len(authors)]
        when = 1_600_000_000 + n * 3600
        message = f"change {n}".encode()
        out.append(b"commit refs/heads/main\n")
        out.append(b"committer %s <%s@example.org> %d +0000\n" % (author.encode(), author.lower().encode(), when))
        out.append(b"data %d\n%s\n" % (len(message), message))
        if n == 0:
            changed = files
        elif n % 500 == 0:
            changed = rng.sample(files, 40)
        else:
            changed = rng.sample(files, rng.randint(1, 6))
        if n > 0 and n % 97 == 0:
            old = rng.choice(files)
            new = old.replace(".py", f"_r{n}.py")
            out.append(b"R %s %s\n" % (old.encode(), new.encode()))
            files[files.index(old)] = new
            versions[new] = versions.pop(old)
            changed = [c for c in changed if c != old]
        for path in changed:
            versions[path] += 1
            out.append(b"M 100644 inline %s\n" % path.encode())
            out.append(body(path, versions[path]))
        out.append(b"\n")
    return b"".join(out)


def timed(command, **kwargs):
    started = time.monotonic()
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        sys.exit(f"{command[0]} failed: {result.stderr.decode()[-2000:]}")
    return elapsed, result.stdout


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--code-maat", required=True)
    parser.add_argument("--commits", type=int, default=10_000)
    parser.add_argument("--repetitions", type=int, default=3)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="hephaestus-bench-analytics-") as work:
        repo = os.path.join(work, "repo")
        subprocess.run(["git", "init", "-q", "-b", "main", repo], check=True)
        started = time.monotonic()
        subprocess.run(["git", "-C", repo, "fast-import", "--quiet"], input=fast_import_stream(args.commits), check=True)
        subprocess.run(["git", "-C", repo, "checkout", "-q", "main"], check=True)
        print(f"repository: {args.commits} commits generated in {time.monotonic() - started:.1f} s", flush=True)
        log = os.path.join(work, "git.log")
        logs, ours_log, ours_end, theirs = [], [], [], []
        for run in range(1, args.repetitions + 1):
            log_seconds, text = timed(
                ["git", "-C", repo, "log", "-M", "--numstat", "--date=short", "--pretty=format:--%h--%cd--%cn"])
            with open(log, "wb") as handle:
                handle.write(text)
            logs.append(log_seconds)
            analyses = 0.0
            for analysis in ["revisions", "entity-churn", "coupling"]:
                seconds, _ = timed([args.code_maat, analysis, log])
                analyses += seconds
            theirs.append(analyses)
            seconds, _ = timed([args.binary, "analytics", "rankings", "--strategy", "composite", "--repo", repo, "--json", "--log", log])
            ours_log.append(seconds)
            end, _ = timed([args.binary, "analytics", "rankings", "--strategy", "composite", "--repo", repo, "--json"])
            ours_end.append(end)
            print(f"run {run}: git log {log_seconds:.2f} s ({len(text) / 1e6:.1f} MB); on that log: code-maat-python revisions + "
                  f"entity-churn + coupling {analyses:.2f} s, hephaestus rankings --log {seconds:.2f} s; end to end: "
                  f"hephaestus {end:.2f} s, git log + code-maat-python {log_seconds + analyses:.2f} s", flush=True)
        peer, mine = statistics.median(theirs), statistics.median(ours_log)
        peer_end, mine_end = statistics.median(logs) + peer, statistics.median(ours_end)
        print(f"median on the same log: hephaestus {mine:.2f} s, code-maat-python {peer:.2f} s: {peer / mine:.1f}x faster (target >= 5x)")
        print(f"median end to end (git log included): hephaestus {mine_end:.2f} s, git log + code-maat-python {peer_end:.2f} s: "
              f"{peer_end / mine_end:.1f}x faster")


if __name__ == "__main__":
    main()
