"""`hephaestus verify bundle` start-up (one process, the genuine public-good bundle of ../shared/fixtures), with the
embedded trusted root and with a TUF cache left by `trust update`, beside `sigstore verify identity --offline`
(sigstore-python) on the same bundle; optionally a baseline build of hephaestus (`--baseline BINARY`, e.g. the
previous commit's static release binary) in the same rounds.

Each round runs every variant once, in turn, so drift on a shared machine touches them alike; every run is printed.
Wall time and the child's CPU time (user + system, from wait4) are both reported: CPU time moves less with the load
of other processes. With `--instructions`, each hephaestus variant also runs once under callgrind (a copy stripped of
debug information, which valgrind 3.19 cannot read): the instruction count does not move with the machine's load. The TUF cache is made by `hephaestus trust update` against a python-tuf repository
(fixtures/tuf/make_repository.py sigstore-root) publishing the genuine production trusted root and signing config,
served on 127.0.0.1, then moved to where the production repository's cache lives.
"""
import argparse
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(__file__))
from measure import median, table  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(os.path.dirname(ROOT), "shared", "fixtures")
SHARED = os.path.join(FIXTURES, "sigstore-python")
IDENTITY = "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2"
ISSUER = "https://token.actions.githubusercontent.com"


def timed(argv, env, cwd):
    """(wall seconds, child CPU seconds) of one run; exits on failure."""
    start = time.perf_counter()
    process = subprocess.Popen(argv, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    stderr = process.stderr.read().decode(errors="replace")
    process.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv[:3])} failed ({os.waitstatus_to_exitcode(status)}): {stderr[-2000:]}")
    return wall, usage.ru_utime + usage.ru_stime


def instructions(argv, env, work):
    """Instructions one run executes (callgrind), the binary stripped of its debug information first."""
    stripped = os.path.join(work, "stripped-" + str(abs(hash(argv[0]))))
    if not os.path.exists(stripped):
        subprocess.run(["strip", "--strip-debug", "-o", stripped, argv[0]], check=True)
    result = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", stripped, *argv[1:]], cwd=SHARED,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=True)
    for line in result.stderr.decode().splitlines():
        if "Collected :" in line:
            return int(line.rsplit(":", 1)[1].strip())
    raise SystemExit("callgrind printed no instruction count")


def serve(directory):
    """Serves a python-tuf stage as Sigstore lays its repository out (metadata at the top, targets under targets/)."""

    class Handler(http.server.SimpleHTTPRequestHandler):
        def translate_path(self, path):
            relative = urllib.parse.unquote(urllib.parse.urlsplit(path).path).lstrip("/")
            for candidate in (os.path.join(directory, relative), os.path.join(directory, "metadata", relative)):
                if os.path.isfile(candidate):
                    return candidate
            return os.path.join(directory, "missing")

        def log_message(self, *arguments):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def make_cache(binary, python, work):
    """A production TUF cache under work/cache (returned: the XDG_CACHE_HOME to run with)."""
    repository = os.path.join(work, "repository")
    os.makedirs(repository)
    production = os.path.join(FIXTURES, "public-good-trust", "production")
    environment = dict(os.environ, SIGSTORE_TRUSTED_ROOT=os.path.join(production, "trusted_root.json"),
                       SIGSTORE_SIGNING_CONFIG=os.path.join(production, "signing_config.v0.2.json"))
    subprocess.run([python, os.path.join(ROOT, "fixtures", "tuf", "make_repository.py"), "sigstore-root", repository],
                   env=environment, check=True)
    server = serve(os.path.join(repository, "stage0"))
    staging_home = os.path.join(work, "update")
    try:
        result = subprocess.run([binary, "--log-level", "error", "trust", "update", "--json",
                                 "--tuf-url", f"http://127.0.0.1:{server.server_address[1]}",
                                 "--tuf-root", os.path.join(repository, "root.json")],
                                env=dict(os.environ, XDG_CACHE_HOME=staging_home), check=True, capture_output=True)
    finally:
        server.shutdown()
    made = json.loads(result.stdout)["cacheDirectory"]
    home = os.path.join(work, "cache")
    destination = os.path.join(home, "hephaestus", "tuf", urllib.parse.quote("https://tuf-repo-cdn.sigstore.dev", safe=""))
    os.makedirs(os.path.dirname(destination))
    shutil.move(made, destination)
    return home


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--baseline", help="another hephaestus binary measured in the same rounds")
    parser.add_argument("--sigstore", required=True)
    parser.add_argument("--python", required=True, help="a python with python-tuf (sigstore-python's venv has it)")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--instructions", action="store_true", help="also count each hephaestus variant's instructions (callgrind)")
    args = parser.parse_args()
    for name in ("binary", "baseline", "sigstore", "python"):
        if getattr(args, name):
            setattr(args, name, os.path.abspath(getattr(args, name)))
    if not os.path.isdir(SHARED):
        raise SystemExit("../shared/fixtures is absent: no genuine bundle to verify")

    work = tempfile.mkdtemp(prefix="startup-bench-")
    try:
        cache_home = make_cache(args.binary, args.python, work)
        empty_home = os.path.join(work, "empty")
        os.makedirs(empty_home)
        verify = ["verify", "bundle", "--bundle", "bundle_v3_github.whl.sigstore", "--certificate-identity", IDENTITY,
                  "--certificate-oidc-issuer", ISSUER, "bundle_v3_github.whl"]
        base = {key: value for key, value in os.environ.items() if not key.startswith("OTEL_")}
        embedded = dict(base, XDG_CACHE_HOME=empty_home)
        cached = dict(base, XDG_CACHE_HOME=cache_home)
        variants = {}
        binaries = {"this build": args.binary}
        if args.baseline:
            binaries = {"baseline": args.baseline, **binaries}
        for label, binary in binaries.items():
            variants[f"hephaestus ({label}), embedded root"] = ([binary, *verify], embedded)
            variants[f"hephaestus ({label}), TUF cache"] = ([binary, *verify], cached)
        variants["sigstore verify identity --offline"] = (
            [args.sigstore, "verify", "identity", "--offline", "--bundle", "bundle_v3_github.whl.sigstore", "--cert-identity",
             IDENTITY, "--cert-oidc-issuer", ISSUER, "bundle_v3_github.whl"], base)
        for argv, env in variants.values():  # warm-up: page cache, imports
            timed(argv, env, SHARED)
            timed(argv, env, SHARED)
        wall = {name: [] for name in variants}
        cpu = {name: [] for name in variants}
        for round_number in range(1, args.runs + 1):
            figures = []
            for name, (argv, env) in variants.items():
                seconds, used = timed(argv, env, SHARED)
                wall[name].append(seconds)
                cpu[name].append(used)
                figures.append(f"{seconds * 1000:.1f}/{used * 1000:.1f}")
            print(f"round {round_number}: " + "  ".join(figures) + "  (wall/cpu ms, in the table's order)", flush=True)
        counted = {name: instructions(argv, env, work) for name, (argv, env) in variants.items()
                   if args.instructions and "sigstore" not in name}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\nverify bundle on bundle_v3_github.whl (production), {args.runs} alternating rounds, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f} at the end")
    peer = median(wall["sigstore verify identity --offline"])
    table([[name, f"{median(wall[name]) * 1000:.1f}", f"{median(cpu[name]) * 1000:.1f}",
            f"1/{peer / median(wall[name]):.0f}" if "sigstore" not in name else "",
            f"{counted[name] / 1e6:.1f} M" if name in counted else ""] for name in variants],
          ["tool", "median wall ms", "median cpu ms", "of sigstore-python's time", "instructions (callgrind)"])


if __name__ == "__main__":
    main()
