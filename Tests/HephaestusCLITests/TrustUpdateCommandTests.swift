import Foundation
import HephaestusTestSupport
import Testing

/// `hephaestus trust update --tuf-url URL --tuf-root ROOT.json` against a python-tuf repository publishing Sigstore's
/// targets: files in the XDG cache, root rotation followed, a refused update keeping the cache as it was.
@Suite(.enabled(if: TUFTestRepository.isUsable, "python-tuf is not installed in the test venv"))
struct TrustUpdateCommandTests {
    let cache: TemporaryDirectory

    init() throws {
        cache = try TemporaryDirectory(prefix: "hephaestus-xdg-cache")
    }

    func update(_ repository: TUFTestRepository) throws -> ProcessResult {
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_CACHE_HOME"] = cache.path
        return try HephaestusBinary.run(
            ["trust", "update", "--tuf-url", repository.baseURL.absoluteString, "--tuf-root", repository.initialRootPath],
            environment: environment)
    }

    func repositoryDirectory(_ repository: TUFTestRepository) -> String {
        let url = repository.baseURL.absoluteString
        let quoted = url.unicodeScalars.map { scalar -> String in
            if scalar.isASCII, scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "_.-~".unicodeScalars.contains(scalar) {
                return String(scalar)
            }
            return String(format: "%%%02X", scalar.value)
        }.joined()
        return cache.file("hephaestus/tuf/\(quoted)")
    }

    @Test func refreshesIntoTheCacheFollowsRotationAndKeepsItOnRefusal() throws {
        let repository = try TUFTestRepository(case: "sigstore")
        let first = try update(repository)
        #expect(first.status == 0, "\(first.stderrText)")
        let directory = repositoryDirectory(repository)
        #expect(first.stdoutText.hasPrefix("trusted root: \(directory)/targets/trusted_root.json\n"))
        #expect(
            TUFTestRepository.contents(of: directory + "/targets")["trusted_root.json"] == Array("{\"mediaType\": \"test trusted root 1\"}\n".utf8))
        #expect(TUFTestRepository.contents(of: directory + "/targets")["signing_config.v0.2.json"] != nil)

        repository.stage = 1
        let second = try update(repository)
        #expect(second.status == 0, "\(second.stderrText)")
        #expect(second.stdoutText.hasSuffix("TUF root version 2 of \(repository.baseURL.absoluteString); updated: trusted_root.json\n"))
        #expect(
            TUFTestRepository.contents(of: directory + "/targets")["trusted_root.json"] == Array("{\"mediaType\": \"test trusted root 2\"}\n".utf8))

        let metadataBefore = TUFTestRepository.contents(of: directory + "/metadata")
        let targetsBefore = TUFTestRepository.contents(of: directory + "/targets")
        repository.stage = 2
        let refused = try update(repository)
        #expect(refused.status == 1)
        #expect(refused.stderrText.contains("timestamp metadata expired at"))
        #expect(TUFTestRepository.contents(of: directory + "/metadata") == metadataBefore)
        #expect(TUFTestRepository.contents(of: directory + "/targets") == targetsBefore)
    }

    @Test func tufURLAndRootGoTogether() throws {
        let result = try HephaestusBinary.run(["trust", "update", "--tuf-url", "https://example.invalid"])
        #expect(result.status == 64)
        #expect(result.stderrText.contains("--tuf-url URL and --tuf-root ROOT.json go together"))
    }
}
