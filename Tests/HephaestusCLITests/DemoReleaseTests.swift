import Foundation
import HephaestusTestSupport
import Testing

/// The README's demo release must keep verifying (it is signed by a local test instance whose root ships beside it).
@Suite("Bundled demo release")
struct DemoReleaseTests {
    @Test("fixtures/demo verifies with --require-sigstore, and fails for another identity")
    func demoVerifies() throws {
        let root = FakeGitHubServer.projectRoot.path
        let base = [
            "release", "verify", "--archive", "fixtures/demo/release/demo-1.0.0-wheelhouse.tar.gz", "--require-sigstore",
            "--trusted-root", "fixtures/demo/trusted_root.json", "--sigstore-identity",
        ]
        let result = try HephaestusBinary.run(
            base + ["https://github.com/hephaestus-demo/wheels/.github/workflows/release.yml@refs/tags/*"], in: root)
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(result.stdoutText.contains("wheels:   hephaestus_demo 1.0.0, hephaestus_demo_extras 1.0.0"))
        let other = try HephaestusBinary.run(base + ["https://github.com/someone-else/*"], in: root)
        #expect(other.status == 1)
    }
}
