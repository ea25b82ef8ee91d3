import Foundation
import HephaestusPlatform
import HephaestusSigstore

/// Builds wheelhouse releases for install tests: wheels (fixtures/wheels/make_wheel.py), a tar.gz, its `.sha256`
/// manifest and a `.sigstore.json` bundle from the virtual Sigstore, plus the trusted root to verify it.
public struct WheelhouseFactory {
    public static let identity = "https://github.com/octo/wheels/.github/workflows/release.yml@refs/tags/v1.0.0"
    public static let issuer = "https://token.actions.githubusercontent.com"

    public let directory: TemporaryDirectory
    public let sigstore: VirtualSigstore

    public init() throws {
        directory = try TemporaryDirectory(prefix: "wheelhouse")
        sigstore = try VirtualSigstore()
        try directory.write("trusted_root.json", sigstore.trustedRootJSON)
    }

    public var trustedRoot: String { directory.file("trusted_root.json") }

    /// A wheel in `directory/wheels-NAME/`; returns its path.
    @discardableResult
    public func wheel(
        _ name: String, _ version: String, into folder: String = "wheels", requires: [String] = [], tamperRecord: Bool = false
    ) throws -> String {
        let script = FakeGitHubServer.projectRoot.appendingPathComponent("fixtures/wheels/make_wheel.py").path
        var arguments = [script, directory.file(folder), name, version]
        for requirement in requires { arguments += ["--requires", requirement] }
        if tamperRecord { arguments.append("--tamper-record") }
        let result = try ProcessResult.runTool("python3", arguments)
        return result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Packs `folder` into `NAME`, writes `NAME.sha256`, and (unless `sign` is false) `NAME.sigstore.json`.
    @discardableResult
    public func release(
        _ name: String = "demo-1.0.0-wheelhouse.tar.gz", from folder: String = "wheels", sign: Bool = true,
        identity: String = WheelhouseFactory.identity, issuer: String = WheelhouseFactory.issuer, extraFiles: [String: String] = [:]
    ) throws -> String {
        for (file, text) in extraFiles { try directory.write("\(folder)/\(file)", text) }
        let archive = directory.file(name)
        let result = try ProcessResult.runTool("tar", ["czf", archive, "-C", directory.file(folder), "."])
        guard result.status == 0 else { throw ToolLocator.Missing(name: "tar: \(result.stderrText)") }
        let digest = try DigestAlgorithm.sha256.hash(fileAt: archive)
        try directory.write(name + ".sha256", "\(digest.hex)  \(name)\n")
        if sign {
            var options = VirtualSigstore.Options()
            options.identity = .uri(identity)
            options.issuer = issuer
            try directory.write(
                name + ".sigstore.json", try sigstore.sign(Array(try FileReader.contents(of: archive, limit: 1 << 30)), options: options).json)
        }
        return archive
    }
}
