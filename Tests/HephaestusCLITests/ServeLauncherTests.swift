import Foundation
import HephaestusTestSupport
import Testing

/// `hephaestus serve` runs `hephaestus-server` from its own directory: the CLI links no server stack.
@Suite("serve: the launcher")
struct ServeLauncherTests {
    @Test("without hephaestus-server beside it, serve fails with one line naming the missing file (exit 78)")
    func missingServer() throws {
        let work = try TemporaryDirectory()
        let copy = work.file("hephaestus")
        try FileManager.default.copyItem(atPath: HephaestusBinary.path, toPath: copy)
        let result = try ProcessResult.run(copy, ["serve", "--listen", "127.0.0.1:0"], in: work.path)
        #expect(result.status == 78)
        let directory = URL(fileURLWithPath: work.path).lastPathComponent
        #expect(result.stderrText.contains("/\(directory)/hephaestus-server is missing or not executable"), "\(result.stderrText)")
        #expect(result.stdout.isEmpty)
    }

    @Test(
        "serve passes its arguments to hephaestus-server (its usage errors come back as they are)",
        .enabled(if: FileManager.default.isExecutableFile(atPath: HephaestusBinary.serverPath), "hephaestus-server is not built"))
    func passesArguments() throws {
        let refused = try HephaestusBinary.run(["serve", "--listen", "0.0.0.0:8080", "--grpc-listen", "off"])
        #expect(refused.status == 64)
        #expect(refused.stderrText.contains("--listen 0.0.0.0:8080 is not loopback"), "\(refused.stderrText)")
        let help = try HephaestusBinary.run(["serve", "--help"])
        #expect(help.status == 0)
        #expect(help.stdoutText.contains("--extra-trusted-root") && help.stdoutText.contains("--insecure-listen"))
    }
}
