#!/usr/bin/env bash
# `hephaestus verify bundle` start-up on a genuine public-good bundle: the binary of this commit (A) vs the same commit
# with swift-otel linked into the executable (B), both built by bench/otel_link_probe.sh. hyperfine alternates the two
# (one run of each per round, --runs rounds) after warm-up runs, and prints every run's time.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs=40
[ "${1:-}" = "--runs" ] && runs="$2"
shared="$root/../shared/fixtures/sigstore-python"
[ -d "$shared" ] || { echo "../shared/fixtures is absent: no genuine bundle to verify" >&2; exit 1; }
arguments=(verify bundle --bundle bundle_v3_github.whl.sigstore
    --certificate-identity https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2
    --certificate-oidc-issuer https://token.actions.githubusercontent.com bundle_v3_github.whl)
a="$root/.build-otel-probe/build-a/release/hephaestus"
b="$root/.build-otel-probe/build-b/release/hephaestus"
ls -l "$a" "$b"
cd "$shared"
export_dir="$(mktemp -d)"
# Alternating: each round runs A then B, so drift on a shared machine touches both alike.
for ((i = 0; i < 5; i++)); do "$a" "${arguments[@]}" >/dev/null; "$b" "${arguments[@]}" >/dev/null; done
printf 'round\tA (this commit) ms\tB (+ swift-otel) ms\n'
for ((i = 1; i <= runs; i++)); do
    for variant in a b; do
        binary="$a"; [ "$variant" = b ] && binary="$b"
        hyperfine --runs 1 --warmup 0 -N --export-json "$export_dir/$variant.json" -- "$binary ${arguments[*]}" >/dev/null 2>&1
        python3 -c "import json,sys; print(f\"{json.load(open(sys.argv[1]))['results'][0]['times'][0]*1000:.2f}\")" "$export_dir/$variant.json" \
            > "$export_dir/$variant.last"
    done
    printf '%d\t%s\t%s\n' "$i" "$(cat "$export_dir/a.last")" "$(cat "$export_dir/b.last")" | tee -a "$export_dir/all.tsv"
done
python3 - "$export_dir/all.tsv" <<'PY'
import statistics, sys
rows = [line.split("\t") for line in open(sys.argv[1]).read().split("\n") if line]
a = [float(r[1]) for r in rows]
b = [float(r[2]) for r in rows]
diffs = sorted(y - x for x, y in zip(a, b))
print(f"median A {statistics.median(a):.2f} ms, median B {statistics.median(b):.2f} ms, "
      f"median paired difference B-A {statistics.median(diffs):+.2f} ms "
      f"(interquartile {diffs[len(diffs)//4]:+.2f} .. {diffs[3*len(diffs)//4]:+.2f}), {len(rows)} rounds")
PY
rm -rf "$export_dir"
