"""Shared helpers for the benchmarks: run a command, measure wall time and the child's peak RSS.

Peak RSS comes from GNU time (`/usr/bin/time -f %M`): a child forked from Python would report Python's own
high-water mark, which Linux carries across exec.
"""
import os
import subprocess
import time

TIME = "/usr/bin/time"


def run_measured(argv, cwd=None, stdout=subprocess.DEVNULL, cpu=False):
    """Runs argv to completion; returns (seconds, peak_rss_bytes, exit_status), and with `cpu` the CPU seconds it
    used (user and system) as a fourth value."""
    start = time.perf_counter()
    process = subprocess.run([TIME, "-f", "@@maxrss %M %U %S", *argv], cwd=cwd, stdout=stdout, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - start
    stderr = process.stderr.decode(errors="replace")
    if process.returncode != 0:
        raise SystemExit(f"{argv[0]} failed with {process.returncode}: {stderr}")
    peak_kib, user, system = stderr.rsplit("@@maxrss ", 1)[1].split()[:3]
    if cpu:
        return elapsed, int(peak_kib) * 1024, process.returncode, float(user) + float(system)
    return elapsed, int(peak_kib) * 1024, process.returncode


def process_cpu_seconds(pid):
    """CPU seconds (user and system) a running process has used so far."""
    with open(f"/proc/{pid}/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def median(values):
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def table(rows, headers):
    widths = [max(len(str(row[i])) for row in rows + [headers]) for i in range(len(headers))]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)))
