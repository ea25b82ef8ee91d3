#!/usr/bin/env bash
# Builds the two `hephaestus` binaries compared by `bench/run startup-otel`: the commit as it is (A) and the same
# commit with swift-otel 1.6.0 linked into the executable and reachable from main (B), both static release builds as
# shipped. Sources are exported from git into .build-otel-probe/ (ignored); nothing in the worktree changes.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
probe="$root/.build-otel-probe"
commit="${1:-HEAD}"
for variant in a b; do
    rm -rf "$probe/src-$variant"
    mkdir -p "$probe/src-$variant"
    git -C "$root" archive "$commit" | tar -x -C "$probe/src-$variant"
done
# B: swift-otel (OTLP gRPC and HTTP exporters, so NIO, gRPC, protobuf, async-http-client) in the executable.
python3 - "$probe/src-b" <<'PY'
import pathlib, sys
src = pathlib.Path(sys.argv[1])
manifest = src / "Package.swift"
text = manifest.read_text()
text = text.replace(
    '.package(url: "https://github.com/apple/swift-log", from: "1.6.0"),',
    '.package(url: "https://github.com/apple/swift-log", from: "1.6.0"),\n        .package(url: "https://github.com/swift-otel/swift-otel", from: "1.6.0"),', 1)
marker = '.executableTarget(\n            name: "hephaestus",\n            dependencies: ['
assert marker in text
text = text.replace(marker, marker + '\n                .product(name: "OTel", package: "swift-otel"),', 1)
manifest.write_text(text)
(src / "Sources/hephaestus/OTelLinkProbe.swift").write_text('''import Foundation
import OTel

/// Makes swift-otel's tracing backend reachable from main, as an exporter in the executable would be.
enum OTelLinkProbe {
    static func touch() {
        guard ProcessInfo.processInfo.environment["HEPHAESTUS_OTEL_LINK_PROBE"] == "bootstrap" else { return }
        _ = try? OTel.makeTracingBackend()
    }
}
''')
main = src / "Sources/hephaestus/Hephaestus.swift"
text = main.read_text()
text = text.replace("        StandardDescriptors.reserve()\n", "        StandardDescriptors.reserve()\n        OTelLinkProbe.touch()\n", 1)
main.write_text(text)
PY
for variant in a b; do
    (cd "$probe/src-$variant" && swift build -c release --static-swift-stdlib --scratch-path "$probe/build-$variant" --product hephaestus >&2)
done
ls -l "$probe/build-a/release/hephaestus" "$probe/build-b/release/hephaestus"
