"""Sign 100 small files against a local Sigstore test instance (`hephaestus dev sigstore`) with `hephaestus sign`
and with `sigstore sign` from PyPI (pointed at the same instance with --trust-config), alternating runs:
wall time of one invocation signing all files, per-file latency, and single-file invocation latency.
Both tools sign keyless (one token from the instance's OIDC issuer) with the same signing config.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from measure import median, run_measured, table  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--sigstore", required=True)
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--single", type=int, default=5, help="single-file invocations per tool and repetition")
    args = parser.parse_args()

    scratch = tempfile.mkdtemp(prefix="hephaestus-sign-bench-")
    instance_dir = os.path.join(scratch, "instance")
    port_file = os.path.join(scratch, "port.json")
    server = subprocess.Popen([args.binary, "dev", "sigstore", "--dir", instance_dir, "--port-file", port_file],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 30
        while not os.path.exists(port_file):
            if time.time() > deadline or server.poll() is not None:
                raise SystemExit("the local instance did not start")
            time.sleep(0.05)
        trusted_root = json.load(open(os.path.join(instance_dir, "trusted_root.json")))
        rows = []
        for label, config_name in [("Rekor v2 + TSA", "signing_config.json"), ("Rekor v1 + TSA", "signing_config.rekor-v1.json")]:
            config_path = os.path.join(instance_dir, config_name)
            trust_config = os.path.join(scratch, f"trust-{config_name}")
            json.dump({"mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
                       "trustedRoot": trusted_root, "signingConfig": json.load(open(config_path))}, open(trust_config, "w"))
            ours = [os.path.join(instance_dir, "..", "ours"), os.path.join(instance_dir, "..", "peer")]
            files = {}
            for directory in ours:
                shutil.rmtree(directory, ignore_errors=True)
                os.makedirs(directory)
                files[directory] = []
                for index in range(args.files):
                    path = os.path.join(directory, f"file-{index:03}.bin")
                    with open(path, "wb") as handle:
                        handle.write(os.urandom(1024))
                    files[directory].append(path)
            results = {"hephaestus": [], "sigstore-python": []}
            singles = {"hephaestus": [], "sigstore-python": []}
            rss = {"hephaestus": 0, "sigstore-python": 0}
            for _ in range(args.repetitions):
                token = subprocess.run([args.binary, "dev", "sigstore", "token", "--dir", instance_dir, "--identity", "bench@example.com"],
                                       check=True, capture_output=True, text=True).stdout.strip()
                ours_argv = [args.binary, "sign", "--identity-token", token, "--signing-config", config_path,
                             "--trusted-root", os.path.join(instance_dir, "trusted_root.json"), "--overwrite", "-q"]
                peer_argv = [args.sigstore, "--trust-config", trust_config, "sign", "--identity-token", token, "--overwrite"]
                for tool, argv, directory in [("hephaestus", ours_argv, ours[0]), ("sigstore-python", peer_argv, ours[1])]:
                    seconds, peak, _ = run_measured(argv + files[directory])
                    results[tool].append(seconds)
                    rss[tool] = max(rss[tool], peak)
                    for index in range(args.single):
                        seconds, _, _ = run_measured(argv + [files[directory][index]])
                        singles[tool].append(seconds)
            for tool in ["hephaestus", "sigstore-python"]:
                wall = median(results[tool])
                rows.append([label, tool, f"{wall:.2f} s", f"{wall / args.files * 1000:.1f} ms", f"{median(singles[tool]) * 1000:.0f} ms",
                             f"{rss[tool] / 1048576:.1f} MiB"])
            ratio = median(results["sigstore-python"]) / median(results["hephaestus"])
            rows.append([label, "ratio (peer / ours)", f"{ratio:.1f}x", "", f"{median(singles['sigstore-python']) / median(singles['hephaestus']):.1f}x", ""])
        print(f"Signing {args.files} files of 1 KiB against a local test instance (loopback), median of {args.repetitions} runs")
        table(rows, ["services", "tool", f"{args.files} files, one run", "per file", "1 file, one run", "peak RSS"])
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
