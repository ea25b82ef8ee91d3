import Foundation
import HephaestusTestSupport
import Testing

/// libcurl and libarchive are loaded on first use: commands that need neither do not load them (nor their
/// dependencies), and commands that need them still work.
@Suite("start-up: libraries loaded on first use")
struct StartupTests {
    /// The shared objects the dynamic loader opened while running `arguments` (from `LD_DEBUG=files`).
    static func loadedLibraries(_ arguments: [String], in directory: String) throws -> (ProcessResult, Set<String>) {
        let result = try HephaestusBinary.run(arguments, in: directory, environment: ["PATH": "/usr/bin:/bin", "LD_DEBUG": "files"])
        var names: Set<String> = []
        for line in result.stderrText.split(separator: "\n") {
            guard let range = line.range(of: "file=") else { continue }
            names.insert(String(line[range.upperBound...].prefix { $0 != " " && $0 != ";" && $0 != "[" }))
        }
        return (result, names)
    }

    /// Whether the test job promised the shipped binary (scripts/bootstrap test sets it, so CI cannot test another).
    static let releaseBinaryRequired = ProcessInfo.processInfo.environment["HEPHAESTUS_REQUIRE_RELEASE_BINARY"] == "1"

    @Test(
        "the binary under test is the shipped one: the Swift runtime and Foundation linked in, not loaded",
        .enabled(if: HephaestusBinary.isExplicit || releaseBinaryRequired, "HEPHAESTUS_BINARY is not set: the suites run the debug build"))
    func shippedBinary() throws {
        #expect(HephaestusBinary.isExplicit, "HEPHAESTUS_REQUIRE_RELEASE_BINARY=1 but HEPHAESTUS_BINARY names no binary")
        let work = try TemporaryDirectory()
        let (version, libraries) = try Self.loadedLibraries(["--version"], in: work.path)
        #expect(version.status == 0)
        let swiftRuntime = libraries.filter { $0.hasPrefix("libswift") || $0.hasPrefix("libFoundation") || $0.hasPrefix("libdispatch") }
        #expect(swiftRuntime.isEmpty, "\(HephaestusBinary.path) loads \(swiftRuntime.sorted()): not the statically linked release binary")
    }

    @Test("--version and digest load neither libcurl nor libarchive; wheelhouse extract loads libarchive and works")
    func lazyLoading() throws {
        let work = try TemporaryDirectory()
        try work.write("file.txt", "bytes\n")
        let (version, versionLibraries) = try Self.loadedLibraries(["--version"], in: work.path)
        #expect(version.status == 0)
        #expect(versionLibraries.contains("libcrypto.so.3"), "\(versionLibraries.sorted())")
        #expect(!versionLibraries.contains("libcurl.so.4") && !versionLibraries.contains("libarchive.so.13"), "\(versionLibraries.sorted())")
        #expect(!versionLibraries.contains("libssl.so.3"), "libssl is only libcurl's")
        let (digest, digestLibraries) = try Self.loadedLibraries(["digest", "file.txt"], in: work.path)
        #expect(digest.status == 0)
        #expect(!digestLibraries.contains("libcurl.so.4") && !digestLibraries.contains("libarchive.so.13"))

        // wheelhouse extract wants a wheel (it does not open it).
        try work.write("demo-1.0-py3-none-any.whl", "bytes\n")
        #expect(try ProcessResult.runTool("tar", ["czf", "a.tar.gz", "demo-1.0-py3-none-any.whl"], in: work.path).status == 0)
        let (extract, extractLibraries) = try Self.loadedLibraries(["wheelhouse", "extract", "a.tar.gz", "--dest", "out"], in: work.path)
        #expect(extract.status == 0, "\(extract.stderrText.suffix(500))")
        #expect(extractLibraries.contains("libarchive.so.13"))
        #expect(!extractLibraries.contains("libcurl.so.4"))
        #expect(try String(contentsOfFile: work.file("out/demo-1.0-py3-none-any.whl"), encoding: .utf8) == "bytes\n")
    }
}
