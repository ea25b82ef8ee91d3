#!/usr/bin/env python3
"""Streams generated NDJSON analytics events into `hephaestus analytics ingest -` through a pipe (nothing is written
to disk but the event store), and measures the run: throughput and the child's peak RSS (wait4's ru_maxrss).

Malformed lines are sprinkled in at known places (truncated JSON, a missing member, an impossible date, an array, a
bad escape, trailing bytes, and lines over the 64 KiB bound), so the expected counts are exact. Prints one JSON object:
what was sent, what was expected, what the binary reported, seconds, MB/s and peak RSS. Used by the test suite (a
smaller stream) and by `bench/run analytics-ingest` (1 GiB)."""
import argparse
import json
import os
import subprocess
import sys
import time

BLOCK_LINES = 10_000
KINDS = ["defect", "incident", "review", "revert", "vulnerability"]
MALFORMED = [
    b'{"time": "2026-01-01T00:00:00Z", "file": "src/truncated.py", "kind": "defect"',
    b'{"time": "2026-01-01T00:00:00Z", "file": "src/nokind.py"}',
    b'{"time": "2026-13-01T00:00:00Z", "file": "src/baddate.py", "kind": "defect"}',
    b'["time", "2026-01-01T00:00:00Z"]',
    b'{"time": "2026-01-01T00:00:00Z", "file": "src/\\q.py", "kind": "defect"}',
    b'{"time": "2026-01-01T00:00:00Z", "file": "src/trailing.py", "kind": "defect"} x',
    None,  # an overlong line
]
OVERLONG = b'{"time": "2026-01-01T00:00:00Z", "file": "src/long.py", "kind": "defect", "note": "' + b"x" * (70 << 10) + b'"}'


def block(index, malformed_every):
    """One block of BLOCK_LINES lines; returns (bytes, malformed offsets in the block, overlong count)."""
    lines = []
    malformed = []
    overlong = 0
    month = 1 + index % 12
    for line in range(BLOCK_LINES):
        if malformed_every and line % malformed_every == malformed_every - 1:
            kind = MALFORMED[(index * 7 + line // malformed_every) % len(MALFORMED)]
            if kind is None:
                lines.append(OVERLONG)
                overlong += 1
            else:
                lines.append(kind)
            malformed.append(line)
            continue
        day = 1 + (line * 7 + index) % 28
        lines.append(
            b'{"time": "2026-%02d-%02dT%02d:%02d:07Z", "file": "src/pkg%d/module_%03d.py", "kind": "%s", "weight": %d, '
            b'"id": %d, "source": "ci"}'
            % (month, day, line % 24, line % 60, line % 7, line % 200, KINDS[line % 5].encode(), 1 + line % 3, index * BLOCK_LINES + line)
        )
    return b"\n".join(lines) + b"\n", malformed, overlong


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--bytes", type=int, required=True, help="stream at least this many bytes (whole blocks)")
    parser.add_argument("--store", required=True)
    parser.add_argument("--malformed-every", type=int, default=997)
    parser.add_argument("--distinct-blocks", type=int, default=24)
    parser.add_argument("--human", action="store_true", help="print a summary for people instead of JSON")
    parser.add_argument("extra", nargs="*")
    args = parser.parse_args()

    blocks = [block(index, args.malformed_every) for index in range(args.distinct_blocks)]
    command = [args.binary, "analytics", "ingest", "-", "--store", args.store, "--json"] + args.extra
    child = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    sent = lines = malformed = overlong = 0
    first = []
    started = time.monotonic()
    index = 0
    try:
        while sent < args.bytes:
            data, offsets, long_lines = blocks[index % len(blocks)]
            for offset in offsets:
                if len(first) < 20:
                    first.append(lines + offset + 1)
            malformed += len(offsets)
            overlong += long_lines
            lines += BLOCK_LINES
            child.stdin.write(data)
            sent += len(data)
            index += 1
        child.stdin.close()
    except BrokenPipeError:
        pass
    stdout = child.stdout.read()
    stderr = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - started
    try:
        report = json.loads(stdout)
    except ValueError:
        report = None
    result = {
            "bytes": sent,
            "lines": lines,
            "expectedMalformed": malformed,
            "expectedOverlong": overlong,
            "expectedAccepted": lines - malformed,
            "expectedFirstMalformedLines": first,
            "exitStatus": child.returncode,
            "seconds": round(seconds, 3),
            "megabytesPerSecond": round(sent / 1e6 / seconds, 1),
            "maxRSSKiB": usage.ru_maxrss,
            "cpuSeconds": round(usage.ru_utime + usage.ru_stime, 3),
            "megabytesPerCPUSecond": round(sent / 1e6 / max(usage.ru_utime + usage.ru_stime, 1e-6), 1),
            "report": report,
            "stderr": stderr.decode("utf-8", "replace")[-2000:],
    }
    if not args.human:
        json.dump(result, sys.stdout, indent=1)
        print()
        return
    summary = (report or {}).get("summary", {})
    print(f"streamed {sent:,} bytes ({lines:,} lines) through a pipe in {seconds:.2f} s: {result['megabytesPerSecond']} MB/s (target >= 100)")
    print(f"the binary's CPU time {result['cpuSeconds']} s: {result['megabytesPerCPUSecond']} MB per CPU second "
          f"(wall-clock MB/s is lower when other processes share the cores; load average {os.getloadavg()[0]:.1f})")
    print(f"peak RSS {usage.ru_maxrss / 1024:.1f} MiB (target < 64); exit status {child.returncode}")
    print(f"accepted {summary.get('accepted')} (expected {lines - malformed}), malformed {summary.get('malformed')} "
          f"(expected {malformed}), overlong {summary.get('overlong')} (expected {overlong})")
    if child.returncode != 0:
        print(result["stderr"])


if __name__ == "__main__":
    main()
