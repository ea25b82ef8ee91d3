"""Telemetry overhead (issue 18): `hephaestus verify batch` over 10,000 generated public-good-shaped bundles with
telemetry off, with `traceidratio` 0.01 and with `always_on`, both exporting over OTLP to the local reference receiver
(fixtures/telemetry/otlp_receiver.py: grpcio and opentelemetry-proto, spans parsed and counted), in the same run, the
three modes alternating, every run printed. Targets: <= 2 % overhead at 0.01, <= 10 % at always_on.

A batch is one operation, so one trace: `traceidratio` 0.01 keeps or drops a whole run (the table says which), and
what it costs when dropped is the unsampled path (ids, context, non-recording spans) for every bundle.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from measure import median, run_measured, table  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def start_receiver(python, work):
    ports = os.path.join(work, "ports.json")
    spans = os.path.join(work, "spans.jsonl")
    process = subprocess.Popen([python, os.path.join(ROOT, "fixtures", "telemetry", "otlp_receiver.py"), "--port-file", ports,
                                "--spans", spans, "--count-only"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 30
    while not os.path.exists(ports):
        if time.time() > deadline or process.poll() is not None:
            raise SystemExit("the OTLP receiver did not start")
        time.sleep(0.05)
    return process, json.load(open(ports)), spans


def received(spans_path):
    if not os.path.exists(spans_path):
        return 0
    return sum(json.loads(line)["spans"] for line in open(spans_path))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--generator", required=True)
    parser.add_argument("--python", required=True, help="a python with grpcio and opentelemetry-proto")
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--protocol", default="grpc", choices=["grpc", "http/protobuf"])
    args = parser.parse_args()

    work = os.path.join(ROOT, "bench", "work")
    directory = os.path.join(work, f"public-good-p256-{args.count}")
    if not os.path.exists(os.path.join(directory, "list.jsonl")):
        subprocess.run([args.generator, "--count", str(args.count), "--dir", directory, "--shape", "public-good",
                        "--intermediate-key", "ecdsa-p256"], check=True, stdout=subprocess.DEVNULL)
    argv = [args.binary, "verify", "batch", "--trusted-root", os.path.join(directory, "trusted_root.json"),
            os.path.join(directory, "list.jsonl")]

    scratch = tempfile.mkdtemp(prefix="telemetry-bench-")
    receiver, ports, spans_path = start_receiver(args.python, scratch)
    endpoint = f"http://127.0.0.1:{ports['grpc' if args.protocol == 'grpc' else 'http']}"
    base = {key: value for key, value in os.environ.items() if not key.startswith("OTEL_")}
    exporting = dict(base, OTEL_EXPORTER_OTLP_ENDPOINT=endpoint, OTEL_EXPORTER_OTLP_PROTOCOL=args.protocol)
    modes = {
        "off (no exporter)": base,
        "traceidratio 0.01": dict(exporting, OTEL_TRACES_SAMPLER="traceidratio", OTEL_TRACES_SAMPLER_ARG="0.01"),
        "always_on": dict(exporting, OTEL_TRACES_SAMPLER="always_on"),
    }
    try:
        run_measured(argv)  # warm the page cache
        times = {name: [] for name in modes}
        spans = {name: [] for name in modes}
        for _ in range(args.repetitions):
            for name, environment in modes.items():
                before = received(spans_path)
                start = time.perf_counter()
                process = subprocess.run(argv, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                times[name].append(time.perf_counter() - start)
                if process.returncode != 0:
                    raise SystemExit(f"{name}: exit {process.returncode}: {process.stderr.decode(errors='replace')[-2000:]}")
                spans[name].append(received(spans_path) - before)
    finally:
        receiver.kill()
    off = median(times["off (no exporter)"])
    rows = []
    for name in modes:
        seconds = median(times[name])
        overhead = (seconds / off - 1) * 100
        target = {"off (no exporter)": None, "traceidratio 0.01": 2, "always_on": 10}[name]
        verdict = "" if target is None else ("met" if overhead <= target else "NOT met") + f" (<= {target} %)"
        rows.append([name, " ".join(f"{t:.2f}" for t in times[name]), f"{seconds:.2f}", f"{args.count / seconds:.0f}",
                     "" if target is None else f"{overhead:+.1f} %", " ".join(str(s) for s in spans[name]), verdict])
    print(f"verify batch over {args.count} generated public-good bundles, OTLP {args.protocol} to the local receiver, "
          f"{os.cpu_count()} cores, {args.repetitions} alternating runs per mode")
    table(rows, ["telemetry", "seconds (each run)", "median s", "bundles/s", "overhead", "spans exported (each run)", "target"])
    print("Wall-clock figures are noisy on a shared machine; the overhead is the medians' ratio.")


if __name__ == "__main__":
    main()
