"""`bench/run serve`: `hephaestus serve`'s `POST /v1/verify/bundle` under load (wrk, 2 threads, 16 connections, 10 s,
a genuine public-good bundle), side by side with `verify batch` on the same request repeated (the verifier's own
rate: the ceiling an HTTP layer can approach) and the original project's stack, FastAPI + uvicorn --workers 2 +
sigstore-python 4.5.1, verifying the same body. Also the gRPC unary rate of Verification.VerifyBundle under h2load
(nghttp2-client), the verdict checked with a grpcio client first. Every figure is printed, with the CPU per request of
serve's layers: HTTP alone (GET /healthz), HTTP with the token lookup and the audit record (an unknown /v1 route, 404),
and everything but the verification (the same body with a malformed digest, 400).

Targets (issue 17): >= 10x the FastAPI stack's requests/s; >= 70% of verify batch's rate; p99 <= 10 ms; peak RSS of
serve < 128 MiB; gRPC unary within 0.8x of REST.
"""
import argparse
import collections
import hashlib
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(__file__))
from measure import process_cpu_seconds, run_measured, table  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(ROOT), "shared", "fixtures", "sigstore-python")
IDENTITY = "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2"
ISSUER = "https://token.actions.githubusercontent.com"


def request_body():
    with open(os.path.join(SHARED, "bundle_v3_github.whl.sigstore")) as handle:
        bundle = json.load(handle)
    with open(os.path.join(SHARED, "bundle_v3_github.whl"), "rb") as handle:
        digest = hashlib.sha256(handle.read()).hexdigest()
    return {"bundle": bundle, "artifactDigest": f"sha256:{digest}", "certificateIdentity": IDENTITY, "certificateOidcIssuer": ISSUER}


def wait_for_file(path, process, seconds=60):
    deadline = time.time() + seconds
    while not os.path.exists(path):
        if process.poll() is not None:
            raise SystemExit(f"the server exited with {process.returncode} before listening")
        if time.time() > deadline:
            raise SystemExit(f"no {path} after {seconds} s")
        time.sleep(0.05)


def wrk(url, body_path, token, seconds, threads=2, connections=16, refused=False, script=None):
    """wrk's requests/s, p99 (ms) and the number of requests, posting the body (a GET when `body_path` is None,
    its wrk script then `script`); non-2xx responses fail the run (unless the request is meant to be `refused`: then
    any 2xx does)."""
    script = script or body_path + ".lua"
    with open(script, "w") as handle:
        if body_path:
            handle.write('wrk.method = "POST"\n')
            handle.write(f'wrk.body = io.open("{body_path}"):read("*a")\n')
            handle.write('wrk.headers["Content-Type"] = "application/json"\n')
        if token:
            handle.write(f'wrk.headers["Authorization"] = "Bearer {token}"\n')
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--latency", "-s", script, url],
                         capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99_match = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    unit = {"us": 0.001, "ms": 1, "s": 1000}[p99_match.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    if refused and (errors is None or int(errors.group(1)) != requests):
        raise SystemExit(f"wrk saw answers other than refusals from {url}:\n{out}")
    if errors and not refused:
        raise SystemExit(f"wrk saw {errors.group(1)} error responses from {url}:\n{out}")
    return rate, float(p99_match.group(1)) * unit, requests


def peak_rss(pid):
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def large_bodies(rest_address, token, body, pid, clients=16, limit=32 << 20):
    """`clients` at once, each posting a body of just under the default 32 MiB limit until it is answered (200 or
    400), waiting Retry-After after each 503, for each kind of large body in turn: `verify/batch` bodies (the genuine
    request repeated, up to the 10,000 items a batch may hold, then padded with whitespace); a single bundle carrying
    the genuine log entry repeated (refused once the parse reaches more values than a bundle holds); a single bundle
    whose signature is one long Base64 string (parsed, decoded and refused by the verifier); the same bundle sent as
    the text of `bundleJson`. Returns, per kind, the answers by status and the seconds until every client was
    answered, and serve's peak RSS so far."""
    item = json.dumps(body, separators=(",", ":")).encode()
    items = min(10_000, (limit - 64) // (len(item) + 1))
    batch = b'{"items":[' + b",".join([item] * items) + b"]}"
    batch = batch[:-2] + b" " * (limit - 64 - len(batch)) + b"]}"
    entry = json.dumps(body["bundle"]["verificationMaterial"]["tlogEntries"][0], separators=(",", ":")).encode()
    bundle = json.loads(json.dumps(body["bundle"]))
    bundle["verificationMaterial"]["tlogEntries"] = []
    head = json.dumps(dict(body, bundle=bundle), separators=(",", ":")).encode()
    marker = b'"tlogEntries":[]'
    room = limit - 64 - len(head)
    entries = head.replace(marker, b'"tlogEntries":[' + b",".join([entry] * (room // (len(entry) + 1))) + b"]")
    bundle = json.loads(json.dumps(body["bundle"]))
    bundle["messageSignature"]["signature"] = "SIGNATURE"
    short = json.dumps(dict(body, bundle=bundle), separators=(",", ":"))
    signature = "A" * ((limit - 64 - len(short)) // 4 * 4)
    long_signature = short.replace('"SIGNATURE"', f'"{signature}"').encode()
    text = dict(body)
    del text["bundle"]
    text["bundleJson"] = json.dumps(bundle, separators=(",", ":")).replace('"SIGNATURE"', f'"{signature[:-4096]}"')
    bundle_text = json.dumps(text, separators=(",", ":")).encode()
    host, port = rest_address.rsplit(":", 1)
    results = {}
    for kind, path, payload in [("verify/batch", "/v1/verify/batch", batch),
                                ("verify/bundle, a log entry repeated", "/v1/verify/bundle", entries),
                                ("verify/bundle, one long signature", "/v1/verify/bundle", long_signature),
                                ("verify/bundle, the same as bundleJson text", "/v1/verify/bundle", bundle_text)]:
        statuses = collections.Counter()
        lock = threading.Lock()

        def client():
            while True:
                connection = http.client.HTTPConnection(host, int(port), timeout=600)
                try:
                    connection.request("POST", path, body=payload, headers={"Authorization": f"Bearer {token}",
                                                                           "Content-Type": "application/json"})
                    response = connection.getresponse()
                    response.read()
                    status, retry = response.status, response.getheader("Retry-After")
                except (BrokenPipeError, ConnectionResetError):
                    status, retry = "closed while sending", "1"
                finally:
                    connection.close()
                with lock:
                    statuses[status] += 1
                if status != 503 and status != "closed while sending":
                    return
                time.sleep(float(retry or 1))

        started = time.time()
        threads = [threading.Thread(target=client) for _ in range(clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        results[kind] = (len(payload), dict(statuses), time.time() - started, peak_rss(pid))
    return results


def grpc_stubs():
    """Python stubs generated from proto/ with grpcio-tools (the client a Python user would write)."""
    from grpc_tools import protoc
    out = tempfile.mkdtemp()
    proto = os.path.join(ROOT, "proto")
    include = os.path.join(os.path.dirname(protoc.__file__), "_proto")
    files = [os.path.join("hephaestus/v1", n) for n in sorted(os.listdir(os.path.join(proto, "hephaestus/v1")))]
    protoc.main(["protoc", f"-I{proto}", f"-I{include}", f"--python_out={out}", f"--grpc_python_out={out}", *files])
    sys.path.insert(0, out)
    from hephaestus.v1 import verification_pb2, verification_pb2_grpc
    return verification_pb2, verification_pb2_grpc


def grpc_counter(rest_address, code):
    """serve's own count of Verification.VerifyBundle calls answered with `code` (GET /metrics)."""
    import urllib.request
    text = urllib.request.urlopen(f"http://{rest_address}/metrics").read().decode()
    pattern = r'hephaestus_grpc_server_calls_total\{service="hephaestus\.v1\.Verification",method="VerifyBundle",code="%s"\} (\d+)' % code
    match = re.search(pattern, text)
    return int(match.group(1)) if match else 0


def grpc_unary_rate(address, rest_address, token, body, seconds, work, threads=2, connections=16):
    """Verification.VerifyBundle under h2load (nghttp2's HTTP/2 load generator, C like wrk: 2 threads, 16
    connections, one stream each) posting the gRPC-framed request. One grpcio call first checks the verdict; serve's
    call counter then confirms every loaded call was answered OK (h2load sees HTTP 200 either way)."""
    import grpc
    from google.protobuf import json_format
    verification_pb2, verification_pb2_grpc = grpc_stubs()
    message = json_format.ParseDict(body, verification_pb2.VerifyBundleRequest())
    stub = verification_pb2_grpc.VerificationStub(grpc.insecure_channel(address))
    if stub.VerifyBundle(message, metadata=[("authorization", f"Bearer {token}")]).verdict != "pass":
        raise SystemExit("gRPC: the request did not verify")
    payload = message.SerializeToString()
    frame = os.path.join(work, "request.grpc")
    with open(frame, "wb") as handle:
        handle.write(b"\x00" + len(payload).to_bytes(4, "big") + payload)
    command = ["h2load", "-t", str(threads), "-c", str(connections), "-m", "1", "-H", "content-type: application/grpc",
               "-H", "te: trailers", "-H", f"authorization: Bearer {token}", "-d", frame,
               f"http://{address}/hephaestus.v1.Verification/VerifyBundle"]
    subprocess.run(command + ["-D", "2"], capture_output=True, check=True)  # warm-up
    before = grpc_counter(rest_address, "OK")
    out = subprocess.run(command + ["-D", str(seconds)], capture_output=True, text=True, check=True).stdout
    answered = grpc_counter(rest_address, "OK") - before
    rate = float(re.search(r"finished in [\d.]+s, ([\d.]+) req/s", out).group(1))
    done = int(re.search(r"requests: \d+ total, \d+ started, (\d+) done", out).group(1))
    mean = re.search(r"time for request:\s+\S+\s+\S+\s+(\S+)", out).group(1)
    if answered < done:
        raise SystemExit(f"gRPC: h2load finished {done} calls but serve answered only {answered} with OK:\n{out}")
    return rate, mean


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--venv", required=True, help="a venv with sigstore 4.5.1, fastapi, uvicorn, grpcio, grpcio-tools")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--batch-count", type=int, default=20000)
    args = parser.parse_args()
    if not os.path.isdir(SHARED):
        raise SystemExit("../shared/fixtures is absent: the genuine bundle is not available")
    work = tempfile.mkdtemp(prefix="hephaestus-serve-bench-")
    body = request_body()
    body_path = os.path.join(work, "body.json")
    with open(body_path, "w") as handle:
        json.dump(body, handle)
    refused_path = os.path.join(work, "refused.json")
    with open(refused_path, "w") as handle:
        json.dump(dict(body, artifactDigest="sha256:not-a-digest"), handle)
    rows = []

    # verify batch: the same request repeated, the verifier's own rate.
    line = json.dumps({"bundle": os.path.join(SHARED, "bundle_v3_github.whl.sigstore"), "digest": body["artifactDigest"],
                       "identity": IDENTITY, "issuer": ISSUER})
    batch_list = os.path.join(work, "batch.jsonl")
    with open(batch_list, "w") as handle:
        handle.write((line + "\n") * args.batch_count)
    run_measured([args.binary, "verify", "batch", batch_list])
    batch_seconds, batch_rss, _, batch_cpu = run_measured([args.binary, "verify", "batch", batch_list], cpu=True)
    batch_rate = args.batch_count / batch_seconds
    rows.append(["hephaestus verify batch (same request repeated)", f"{batch_rate:.0f}", "-", f"{batch_rss / 2**20:.1f}",
                 f"{batch_cpu * 1000 / args.batch_count:.3f}"])

    # hephaestus serve.
    store = f"sqlite:{os.path.join(work, 'service.sqlite')}"
    created = subprocess.run([args.binary, "accounts", "create", "bench", "--role", "verifier", "--store", store, "--json"],
                             capture_output=True, text=True, check=True)
    token = json.loads(created.stdout)["token"]
    ports = os.path.join(work, "ports.json")
    server = subprocess.Popen([args.binary, "serve", "--listen", "127.0.0.1:0", "--grpc-listen", "127.0.0.1:0", "--store", store,
                               "--port-file", ports, "--log-level", "warning"], stderr=open(os.path.join(work, "serve.log"), "w"))
    try:
        wait_for_file(ports, server)
        addresses = json.load(open(ports))
        url = f"http://{addresses['rest']}/v1/verify/bundle"
        wrk(url, body_path, token, 2)  # warm-up
        cpu_before = process_cpu_seconds(server.pid)
        rate, p99, requests = wrk(url, body_path, token, args.seconds)
        serve_cpu = (process_cpu_seconds(server.pid) - cpu_before) * 1000 / requests
        serve_rss = peak_rss(server.pid)
        rows.append(["hephaestus serve, POST /v1/verify/bundle", f"{rate:.0f}", f"{p99:.2f}", f"{serve_rss / 2**20:.1f}",
                     f"{serve_cpu:.3f}"])
        # Everything a request costs but the verification: the same body with a malformed digest, read, authorised,
        # refused (400) and audited.
        cpu_before = process_cpu_seconds(server.pid)
        fixed_rate, fixed_p99, fixed_requests = wrk(url, refused_path, token, args.seconds, refused=True)
        fixed_cpu = (process_cpu_seconds(server.pid) - cpu_before) * 1000 / fixed_requests
        rows.append(["hephaestus serve, the same body refused (400): all but the verification", f"{fixed_rate:.0f}",
                     f"{fixed_p99:.2f}", "-", f"{fixed_cpu:.3f}"])
        # The layers under that: HTTP alone (GET /healthz: no account, no audit record), then HTTP with the account's
        # token looked up and the request's audit record committed (an unknown /v1 route: 404, audited).
        layers = {}
        for name, path, token_sent, script in [("http", "/healthz", None, "healthz.lua"), ("gate", "/v1/unknown", token, "gate.lua")]:
            cpu_before = process_cpu_seconds(server.pid)
            layer_rate, layer_p99, layer_requests = wrk(f"http://{addresses['rest']}{path}", None, token_sent, args.seconds,
                                                        refused=name == "gate", script=os.path.join(work, script))
            layers[name] = (process_cpu_seconds(server.pid) - cpu_before) * 1000 / layer_requests
            label = {"http": "hephaestus serve, GET /healthz: HTTP alone",
                     "gate": "hephaestus serve, GET of an unknown /v1 route (404): HTTP, token lookup, audit record"}[name]
            rows.append([label, f"{layer_rate:.0f}", f"{layer_p99:.2f}", "-", f"{layers[name]:.3f}"])
        grpc_rate, grpc_mean = grpc_unary_rate(addresses["grpc"], addresses["rest"], token, body, args.seconds, work)
        rows.append([f"hephaestus serve, gRPC VerifyBundle (h2load, mean {grpc_mean})", f"{grpc_rate:.0f}", "-",
                     f"{peak_rss(server.pid) / 2**20:.1f}", "-"])
        large = large_bodies(addresses["rest"], token, body, server.pid)
        large_rss = peak_rss(server.pid)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)

    # FastAPI + uvicorn --workers 2 + sigstore-python.
    peer = subprocess.Popen([os.path.join(args.venv, "bin", "uvicorn"), "app:app", "--workers", "2", "--port", "0", "--host", "127.0.0.1",
                             "--log-level", "warning"], cwd=os.path.join(ROOT, "bench", "serve_peer"), stderr=subprocess.PIPE, text=True)
    try:
        port = None
        deadline = time.time() + 60
        while port is None and time.time() < deadline:
            found = subprocess.run(["ss", "-ltnp"], capture_output=True, text=True).stdout
            match = re.search(r"127\.0\.0\.1:(\d+)\s.*pid=(\d+)", "\n".join(l for l in found.splitlines() if f"pid={peer.pid}," in l))
            if match:
                port = match.group(1)
            else:
                time.sleep(0.2)
        if port is None:
            raise SystemExit("uvicorn did not listen")
        url = f"http://127.0.0.1:{port}/v1/verify/bundle"
        wrk(url, body_path, None, 2)
        peer_rate, peer_p99, _ = wrk(url, body_path, None, args.seconds)
        rows.append(["FastAPI + uvicorn --workers 2 + sigstore-python 4.5.1", f"{peer_rate:.0f}", f"{peer_p99:.2f}", "-", "-"])
    finally:
        peer.send_signal(signal.SIGTERM)
        peer.wait(timeout=60)

    print(f"POST /v1/verify/bundle with a genuine public-good bundle (bundle_v3_github.whl), wrk 2 threads, 16 connections, "
          f"{args.seconds} s; {os.cpu_count()} cores shared by the server and the load generator")
    table(rows, ["stack", "requests/s", "p99 ms", "peak RSS MiB", "CPU ms/request"])
    print(f"serve / FastAPI stack: {rate / peer_rate:.1f}x (target >= 10x)")
    print(f"serve / verify batch: {rate / batch_rate:.0%} (target >= 70%)")
    print(f"CPU per request: serve {serve_cpu:.3f} ms = {fixed_cpu:.3f} ms of HTTP, auth, audit and body (the refused request) + "
          f"{serve_cpu - fixed_cpu:.3f} ms of verification and report, against {batch_cpu * 1000 / args.batch_count:.3f} ms per "
          f"verification in verify batch")
    print(f"  of which: HTTP {layers['http']:.3f} ms (GET /healthz), token lookup and audit record {layers['gate'] - layers['http']:.3f} ms "
          f"(an unknown route, less /healthz), reading and parsing the body and refusing it {fixed_cpu - layers['gate']:.3f} ms")
    print(f"p99: {p99:.2f} ms (target <= 10 ms); peak RSS of serve: {serve_rss / 2**20:.1f} MiB (target < 128 MiB)")
    print(f"gRPC unary / REST: {grpc_rate / rate:.2f} (target >= 0.8; h2load and wrk, 2 threads and 16 connections each)")
    print("Large bodies: 16 clients at once, each posting a body of just under the 32 MiB limit until answered 200 "
          "(Retry-After honoured); [limits] max_body_bytes_in_flight at its default, 32 MiB")
    for kind, (size, statuses, seconds, rss) in large.items():
        answers = ", ".join(f"{count} x {status}" for status, count in sorted(statuses.items(), key=lambda pair: str(pair[0])))
        print(f"  POST /v1/{kind}, {size / 2**20:.1f} MiB each: {answers}; every client answered after {seconds:.1f} s; "
              f"serve's peak RSS so far {rss / 2**20:.1f} MiB")
    print(f"peak RSS of serve with the large bodies: {large_rss / 2**20:.1f} MiB (target < 128 MiB, whatever the request bodies)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
