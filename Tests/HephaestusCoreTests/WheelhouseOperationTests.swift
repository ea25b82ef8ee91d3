import Foundation
import HephaestusCore
import HephaestusPlatform
import HephaestusSigstore
import HephaestusTestSupport
import Testing

@Suite("wheelhouse.pack and wheelhouse.extract operations")
struct WheelhouseOperationTests {
    static let python = ToolLocator.find("python3") != nil
    static let tar = ToolLocator.find("tar") != nil

    /// `count` valid wheels in `directory/folder` (fixtures/wheels/make_wheel.py).
    static func wheels(_ names: [String], in directory: TemporaryDirectory, folder: String = "wheels", tamper: Set<String> = []) throws {
        let script = FakeGitHubServer.projectRoot.appendingPathComponent("fixtures/wheels/make_wheel.py").path
        for name in names {
            let result = try ProcessResult.runTool(
                "python3", [script, directory.file(folder), name, "1.0"] + (tamper.contains(name) ? ["--tamper-record"] : []))
            #expect(result.status == 0, "\(result.stderrText)")
        }
    }

    @Test("Requests are refused as the CLI words it: the archive name, signing options that conflict, extraction limits")
    func invalidRequests() async throws {
        await #expect(
            throws: RequestError(
                "--output release.tar.gz: the archive must be named NAME-VERSION-wheelhouse.tar.gz (release commands look for *wheelhouse*.tar.gz)")
        ) {
            try await WheelhousePackOperation.run(WheelhousePackOperation.Request(directory: "wheels", output: "release.tar.gz"), in: .quiet())
        }
        await #expect(throws: RequestError("--key and --identity-token cannot be used together")) {
            try await WheelhousePackOperation.run(
                WheelhousePackOperation.Request(
                    directory: "wheels", output: "demo-1.0-wheelhouse.tar.gz", sign: true, signing: SigningChoice(identityToken: "t", key: "k.pem")),
                in: .quiet())
        }
        // Issue 14: the range error names the option and the value.
        await #expect(throws: RequestError("--max-ratio must be at least 1, not 0.0")) {
            try await WheelhouseExtractOperation.run(
                WheelhouseExtractOperation.Request(archive: "a.tar.gz", dest: "out", limits: ExtractionChoice(maxRatio: 0)), in: .quiet())
        }
    }

    @Test(
        "pack: wheels in name order, the manifest beside the archive, SOURCE_DATE_EPOCH read from the run's environment",
        .enabled(if: python, "python3 is not on PATH: make_wheel.py cannot build test wheels"))
    func pack() async throws {
        let directory = try TemporaryDirectory()
        try Self.wheels(["zeta", "alpha", "mid"], in: directory)
        func pack(_ name: String, epoch: String?) async throws -> WheelhousePackReport {
            try await WheelhousePackOperation.run(
                WheelhousePackOperation.Request(directory: directory.file("wheels"), output: directory.file(name)),
                in: .quiet(environment: epoch.map { ["SOURCE_DATE_EPOCH": $0] } ?? [:]))
        }
        let first = try await pack("a/demo-1.0-wheelhouse.tar.gz", epoch: nil)
        #expect(first.bundle == nil)
        #expect(first.result.wheels.map(\.name) == ["alpha", "mid", "zeta"])
        #expect(first.result.wheels.map(\.file) == ["alpha-1.0-py3-none-any.whl", "mid-1.0-py3-none-any.whl", "zeta-1.0-py3-none-any.whl"])
        let bytes = try FileReader.contents(of: first.result.archive, limit: 1 << 30)
        #expect(first.result.sha256 == DigestAlgorithm.sha256.hash(bytes).hex)
        #expect(first.result.size == Int64(bytes.count))
        #expect(try String(contentsOfFile: first.result.manifest, encoding: .utf8) == "\(first.result.sha256)  demo-1.0-wheelhouse.tar.gz\n")
        let same = try await pack("b/demo-1.0-wheelhouse.tar.gz", epoch: nil)
        #expect(same.result.sha256 == first.result.sha256)
        let dated = try await pack("c/demo-1.0-wheelhouse.tar.gz", epoch: "1767225600")
        #expect(dated.result.sha256 != first.result.sha256)
        await #expect(throws: FileError.alreadyExists(path: first.result.archive)) { try await pack("a/demo-1.0-wheelhouse.tar.gz", epoch: nil) }
    }

    @Test(
        "pack: of several bad wheels the first in name order is reported, and nothing is written",
        .enabled(if: python, "python3 is not on PATH: make_wheel.py cannot build test wheels"))
    func firstFailureInNameOrder() async throws {
        let directory = try TemporaryDirectory()
        try Self.wheels(["a1", "b2", "c3", "d4", "e5", "f6"], in: directory, tamper: ["b2", "e5"])
        for _ in 0..<3 {
            let output = directory.file("out/demo-1.0-wheelhouse.tar.gz")
            do {
                _ = try await WheelhousePackOperation.run(
                    WheelhousePackOperation.Request(directory: directory.file("wheels"), output: output), in: .quiet())
                Issue.record("tampered wheels were packed")
            } catch let error as WheelError {
                #expect(error.code == "wheel.record-mismatch")
                #expect(error.description.hasPrefix("b2-1.0-py3-none-any.whl"), "\(error)")
            }
            #expect(!FileManager.default.fileExists(atPath: output))
            #expect(!FileManager.default.fileExists(atPath: output + ".sha256"))
        }
        // The same order when inspecting an extracted wheelhouse.
        #expect(throws: WheelError.self) { try WheelhouseInspection.inspect(directory: directory.file("wheels")) }
        try FileManager.default.removeItem(atPath: directory.file("wheels/b2-1.0-py3-none-any.whl"))
        try FileManager.default.removeItem(atPath: directory.file("wheels/e5-1.0-py3-none-any.whl"))
        #expect(try WheelhouseInspection.inspect(directory: directory.file("wheels")).map(\.name) == ["a1", "c3", "d4", "f6"])
    }

    @Test(
        "pack --sign: the archive signed through the run's HTTP and signing choice; the bundle verifies for the token's identity; the token is registered as a secret",
        .enabled(if: python, "python3 is not on PATH: make_wheel.py cannot build test wheels"))
    func packAndSign() async throws {
        let sigstore = try SigstoreTestServer()
        let directory = try TemporaryDirectory()
        try Self.wheels(["shipit"], in: directory)
        let identity = "release@example.com"
        let token = try sigstore.token(identity: identity)
        let context = OperationContext.quiet()
        let output = directory.file("shipit-1.0-wheelhouse.tar.gz")
        let report = try await WheelhousePackOperation.run(
            WheelhousePackOperation.Request(
                directory: directory.file("wheels"), output: output, sign: true,
                signing: SigningChoice(identityToken: token, signingConfig: sigstore.signingConfigPath),
                trust: TrustChoice(trustedRoot: sigstore.trustedRootPath)),
            in: context)
        #expect(report.bundle == output + ".sigstore.json")
        #expect(!context.redactor.redact(token).contains(token))
        let verification = try await VerifyBundleOperation.run(
            VerifyBundleOperation.Request(
                bundle: output + ".sigstore.json", artifact: output,
                signer: SignerChoice(certificateIdentity: identity, certificateOidcIssuer: sigstore.issuer),
                trust: TrustChoice(trustedRoot: sigstore.trustedRootPath)),
            in: context)
        #expect(verification.verdict == .pass, "\(verification.reason ?? "")")
    }

    @Test(
        "pack --sign is all or nothing: no token, a bundle already there, a CA refusing the certificate, a bundle that does not verify — no archive, manifest or bundle left",
        .enabled(if: python, "python3 is not on PATH: make_wheel.py cannot build test wheels"))
    func packSignAllOrNothing() async throws {
        let sigstore = try SigstoreTestServer()
        let directory = try TemporaryDirectory()
        try Self.wheels(["shipit"], in: directory)
        let output = directory.file("shipit-1.0-wheelhouse.tar.gz")
        func pack(token: String?, trustedRoot: String = sigstore.trustedRootPath) async throws -> WheelhousePackReport {
            try await WheelhousePackOperation.run(
                WheelhousePackOperation.Request(
                    directory: directory.file("wheels"), output: output, sign: true,
                    signing: SigningChoice(identityToken: token, signingConfig: sigstore.signingConfigPath),
                    trust: TrustChoice(trustedRoot: trustedRoot)),
                in: .quiet())
        }
        func expectNothingWritten(_ why: String) throws {
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == ["wheels"], "\(why): something was left")
        }

        // What signing needs is checked before anything is written: no token anywhere.
        await #expect(throws: SigningError.self) { try await pack(token: nil) }
        try expectNothingWritten("no token")

        // An output that would be refused at the end is refused at the start.
        try directory.write("shipit-1.0-wheelhouse.tar.gz.sigstore.json", "{}")
        await #expect(throws: FileError.alreadyExists(path: output + ".sigstore.json")) { try await pack(token: try sigstore.token()) }
        try FileManager.default.removeItem(atPath: output + ".sigstore.json")
        try expectNothingWritten("existing bundle")

        // Failures once the services are asked: the CA refuses, or the bundle does not verify with the trust root.
        sigstore.setFault { request, _ in
            guard request.path == "/api/v2/signingCert" else { return nil }
            return HTTPServerResponse(status: 400, contentType: "application/json", body: Array(#"{"code":400,"message":"no"}"#.utf8))
        }
        await #expect(throws: (any Error).self) { try await pack(token: try sigstore.token()) }
        try expectNothingWritten("CA refused")
        sigstore.setFault(nil)
        let other = try directory.write("other_root.json", try VirtualSigstore(name: "other.sigstore.test").trustedRootJSON)
        await #expect(throws: (any Error).self) { try await pack(token: try sigstore.token(), trustedRoot: other) }
        try FileManager.default.removeItem(atPath: other)
        try expectNothingWritten("bundle did not verify")

        // And then it works.
        let report = try await pack(token: try sigstore.token())
        #expect(report.bundle == output + ".sigstore.json")
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == [
                "shipit-1.0-wheelhouse.tar.gz", "shipit-1.0-wheelhouse.tar.gz.sha256", "shipit-1.0-wheelhouse.tar.gz.sigstore.json", "wheels",
            ])
    }

    @Test(
        "extract: the files, bytes and destination of the report; an unsafe archive refused and nothing left",
        .enabled(if: tar, "tar is not on PATH: the test archives cannot be made"))
    func extract() async throws {
        let directory = try TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory.file("in"), withIntermediateDirectories: true)
        _ = try directory.write("in/a-1.0-py3-none-any.whl", "alpha\n")
        _ = try directory.write("in/b", "x")
        #expect(
            try ProcessResult.runTool("tar", ["czf", directory.file("w.tar.gz"), "-C", directory.file("in"), "a-1.0-py3-none-any.whl", "b"]).status
                == 0)
        let dest = directory.file("out")
        let report = try await WheelhouseExtractOperation.run(
            WheelhouseExtractOperation.Request(archive: directory.file("w.tar.gz"), dest: dest), in: .quiet())
        #expect(report.files == ["a-1.0-py3-none-any.whl", "b"])
        #expect(report.bytes == 7)
        #expect(report.destination == dest)
        #expect(try String(contentsOfFile: dest + "/a-1.0-py3-none-any.whl", encoding: .utf8) == "alpha\n")
        await #expect(throws: ArchiveError.self) {
            try await WheelhouseExtractOperation.run(
                WheelhouseExtractOperation.Request(archive: directory.file("w.tar.gz"), dest: dest), in: .quiet())
        }
        let hostile = directory.file("hostile")
        await #expect(throws: ArchiveError.self) {
            try await WheelhouseExtractOperation.run(
                WheelhouseExtractOperation.Request(archive: directory.file("w.tar.gz"), dest: hostile, limits: ExtractionChoice(maxEntries: 1)),
                in: .quiet())
        }
        #expect(!FileManager.default.fileExists(atPath: hostile))
        let document = try await WheelhouseExtractOperation.runJSON(
            Array(#"{"archive": "\#(directory.file("w.tar.gz"))", "dest": "\#(directory.file("json"))"}"#.utf8), in: .quiet())
        let object = try #require(try JSONSerialization.jsonObject(with: Data(document.json)) as? [String: Any])
        #expect(object["files"] as? [String] == ["a-1.0-py3-none-any.whl", "b"])
        #expect(object["mediaType"] as? String == MediaType.extraction)
    }

    @Test(
        "extract: a wheelhouse is refused, and nothing left, when it holds no wheel or a directory named like one",
        arguments: [
            ("wheelhouse-empty.tar", WheelError.empty),
            ("wheelhouse-whl-directory.tar", WheelError.directoryNamedWheel(path: "other-1.0-py3-none-any.whl")),
            ("wheelhouse-whl-parent.tar", WheelError.directoryNamedWheel(path: "other-1.0-py3-none-any.whl")),
        ])
    func extractWheelhouseRules(archive: String, error: WheelError) async throws {
        let directory = try TemporaryDirectory()
        let dest = directory.file("out")
        await #expect(throws: error) {
            try await WheelhouseExtractOperation.run(
                WheelhouseExtractOperation.Request(archive: HostileArchives.path(archive), dest: dest), in: .quiet())
        }
        #expect(!FileManager.default.fileExists(atPath: dest))
        let report = try await WheelhouseExtractOperation.run(
            WheelhouseExtractOperation.Request(archive: HostileArchives.path("wheelhouse.tar"), dest: dest), in: .quiet())
        #expect(report.files == ["wheels/demo-1.0-py3-none-any.whl"])
    }

    @Test(
        "release inspection: a directory named like a wheel is refused, as extraction refuses it",
        .enabled(if: python, "python3 is not on PATH: make_wheel.py cannot build test wheels"))
    func inspectionRefusesWheelDirectories() throws {
        let directory = try TemporaryDirectory()
        try Self.wheels(["alpha"], in: directory)
        try FileManager.default.createDirectory(atPath: directory.file("wheels/beta-1.0-py3-none-any.whl"), withIntermediateDirectories: false)
        #expect(throws: WheelError.directoryNamedWheel(path: "beta-1.0-py3-none-any.whl")) {
            try WheelhouseInspection.inspect(directory: directory.file("wheels"))
        }
        let output = directory.file("demo-1.0-wheelhouse.tar.gz")
        #expect(throws: WheelError.directoryNamedWheel(path: "beta-1.0-py3-none-any.whl")) {
            try WheelhousePack(directory: directory.file("wheels"), output: output, overwrite: false, environment: [:]).run()
        }
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test(
        "A wheel whose zip data do not match their CRC-32 is unreadable: the zip checks are the reader's, for every consumer",
        .enabled(if: python, "python3 is not on PATH: make_wheel.py cannot build test wheels"))
    func wheelCRC() throws {
        let directory = try TemporaryDirectory()
        try Self.wheels(["alpha"], in: directory)
        let wheel = directory.file("wheels/alpha-1.0-py3-none-any.whl")
        #expect(try WheelInspector.inspect(wheel).name == "alpha")
        // The first entry's CRC-32, in its local header (offset 14) and its central directory record (offset 16).
        var bytes = try FileReader.contents(of: wheel)
        let record = try #require(
            (0..<(bytes.count - 4)).last { bytes[$0..<($0 + 4)] == [0x50, 0x4B, 0x01, 0x02] && bytes[($0 + 42)..<($0 + 46)] == [0, 0, 0, 0] })
        for offset in [14, record + 16] { bytes[offset] ^= 0x01 }
        try Data(bytes).write(to: URL(fileURLWithPath: wheel))
        #expect {
            try WheelInspector.inspect(wheel)
        } throws: { error in
            (error as? WheelError)?.code == "wheel.unreadable" && "\(error)".contains("do not match their CRC-32")
        }
    }
}
