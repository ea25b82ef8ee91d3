import Foundation
import HephaestusCore
import HephaestusPlatform
import HephaestusSigstore
import HephaestusTestSupport
import Testing

/// `hephaestus publish pypi` against a real pypiserver (from PyPI) and, for what pypiserver does not speak (PEP 740
/// attestations, trusted publishing), against an index stand-in in this process that records the bytes on the wire.
@Suite("publish pypi", .serialized)
struct PublishPyPITests {
    static func makeWheel(
        _ directory: TemporaryDirectory, _ name: String, _ version: String, _ extra: [String] = [], folder: String = "dist"
    ) throws -> String {
        let script = FakeGitHubServer.projectRoot.appendingPathComponent("fixtures/wheels/make_wheel.py").path
        let result = try ProcessResult.runTool("python3", [script, directory.file(folder), name, version] + extra)
        #expect(result.status == 0, "\(result.stderrText)")
        return result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func makeSdist(_ directory: TemporaryDirectory, _ name: String, _ version: String, _ extra: [String] = []) throws -> String {
        let script = FakeGitHubServer.projectRoot.appendingPathComponent("fixtures/wheels/make_sdist.py").path
        let result = try ProcessResult.runTool("python3", [script, directory.file("dist"), name, version] + extra)
        #expect(result.status == 0, "\(result.stderrText)")
        return result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func publish(_ arguments: [String], in directory: String, environment: [String: String]) throws -> ProcessResult {
        try HephaestusBinary.run(
            ["publish", "pypi", "--retry-base-delay", "0.01", "--retry-max-delay", "0.05"] + arguments, in: directory,
            environment: ["PATH": "/usr/bin:/bin"].merging(environment) { _, new in new })
    }

    @Test(
        "real pypiserver: wheels and an sdist uploaded byte for byte; conflict; --skip-existing; wrong password; invalid distribution; pip installs from it",
        .enabled(if: TestVenv.isUsable("pypi-server"), Comment(rawValue: PyPIServer.absenceMessage)))
    func realIndex() throws {
        let server = try PyPIServer()
        let work = try TemporaryDirectory()
        let credentials = ["TWINE_USERNAME": PyPIServer.username, "TWINE_PASSWORD": server.password]
        let alpha = try Self.makeWheel(
            work, "alpha-pkg", "1.0.0", ["--description", "# Alpha\n\nA *test* package.\n", "--description-content-type", "text/markdown"])
        let beta = try Self.makeWheel(work, "beta", "0.2.0", ["--description", "Beta\n====\n\nAn RST description.\n"])
        let sdist = try Self.makeSdist(work, "alpha-pkg", "1.0.0", ["--description", "Alpha sdist\n", "--description-content-type", "text/plain"])
        let digests = try [alpha, beta, sdist].map { (URL(fileURLWithPath: $0).lastPathComponent, try DigestAlgorithm.sha256.hash(fileAt: $0).hex) }

        // Dry run: validated, nothing sent.
        let dry = try Self.publish(["--repository-url", server.uploadURL, "--dry-run", alpha, beta, sdist], in: work.path, environment: [:])
        #expect(dry.status == 0, "\(dry.stderrText)")
        #expect(dry.stdoutText.contains("dry run: 3 valid distribution(s), nothing uploaded"))
        #expect(try server.storedFiles().isEmpty)

        let first = try Self.publish(["--repository-url", server.uploadURL, alpha, beta, sdist], in: work.path, environment: credentials)
        #expect(first.status == 0, "\(first.stderrText)")
        #expect(first.stdoutText.contains("uploaded: alpha_pkg-1.0.0-py3-none-any.whl"))
        #expect(first.stdoutText.contains("uploaded: alpha_pkg-1.0.0.tar.gz"))
        #expect(first.stdoutText.contains("3 uploaded, 0 skipped to \(server.uploadURL)"))
        #expect(try server.storedFiles() == Dictionary(uniqueKeysWithValues: digests), "the index holds exactly our bytes")

        // The same file again: refused, naming the file and the way out; with --skip-existing: skipped.
        let conflict = try Self.publish(["--repository-url", server.uploadURL, alpha], in: work.path, environment: credentials)
        #expect(conflict.status == 1)
        #expect(
            conflict.stderrText.contains(
                "alpha_pkg-1.0.0-py3-none-any.whl already exists on \(server.uploadURL) (with the same content) (--skip-existing skips such files)"),
            "pypiserver's simple page gives the file's sha256: \(conflict.stderrText)")
        let gamma = try Self.makeWheel(work, "gamma", "3.0", ["--description", "Gamma.\n", "--description-content-type", "text/plain"])
        let skipping = try Self.publish(
            ["--repository-url", server.uploadURL, "--skip-existing", "--json", alpha, gamma], in: work.path, environment: credentials)
        #expect(skipping.status == 0, "\(skipping.stderrText)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(skipping.stdout)) as? [String: Any])
        #expect(document["mediaType"] as? String == "application/vnd.hephaestus.pypi-publish-result+json;version=1")
        #expect(document["runId"] is String)
        let files = try #require(document["files"] as? [[String: Any]])
        #expect(files.map { $0["status"] as? String } == ["skipped-existing", "uploaded"])
        #expect(files.first?["existing"] as? String == "identical")
        #expect(files.last?["sha256"] as? String == (try DigestAlgorithm.sha256.hash(fileAt: gamma).hex))
        let blake = try ProcessResult.runTool(
            "python3", ["-c", "import hashlib,sys; print(hashlib.blake2b(open(sys.argv[1],'rb').read(), digest_size=32).hexdigest())", gamma])
        #expect(files.last?["blake2b256"] as? String == blake.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(try server.storedFiles().count == 4)

        // Other bytes under a published file name: refused even with --skip-existing (twine would skip it silently),
        // naming both digests; the index keeps its file.
        let rebuilt = try Self.makeWheel(
            work, "alpha-pkg", "1.0.0", ["--description", "# Alpha\n\nRebuilt, not reproducible.\n", "--description-content-type", "text/markdown"],
            folder: "rebuilt")
        let rebuiltDigest = try DigestAlgorithm.sha256.hash(fileAt: rebuilt).hex
        #expect(rebuiltDigest != digests[0].1)
        let differs = try Self.publish(["--repository-url", server.uploadURL, "--skip-existing", rebuilt], in: work.path, environment: credentials)
        #expect(differs.status == 1)
        #expect(
            differs.stderrText.contains(
                "alpha_pkg-1.0.0-py3-none-any.whl already exists on \(server.uploadURL) with different content (the index has sha256 \(digests[0].1), this file \(rebuiltDigest))"
            ),
            "\(differs.stderrText)")
        #expect(try server.storedFiles()["alpha_pkg-1.0.0-py3-none-any.whl"] == digests[0].1)

        // Several files at a time after the first; and with --jobs 1, twine's rule: the first failure stops the rest.
        let batch = try (1...6).map { try Self.makeWheel(work, "batch\($0)", "1.0", folder: "batch") }
        let parallel = try Self.publish(["--repository-url", server.uploadURL, "--jobs", "3"] + batch, in: work.path, environment: credentials)
        #expect(parallel.status == 0, "\(parallel.stderrText)")
        #expect(
            parallel.stdoutText.components(separatedBy: "\n").filter { $0.hasPrefix("uploaded: ") }
                == (1...6).map { "uploaded: batch\($0)-1.0-py3-none-any.whl" }, "outcomes in input order")
        #expect(try server.storedFiles().count == 10)
        let late = try Self.makeWheel(work, "late", "1.0")
        let stopped = try Self.publish(
            ["--repository-url", server.uploadURL, "--jobs", "1", batch[0], late], in: work.path, environment: credentials)
        #expect(stopped.status == 1)
        #expect(try server.storedFiles()["late-1.0-py3-none-any.whl"] == nil, "nothing after the failed file is uploaded")
        let badJobs = try Self.publish(["--repository-url", server.uploadURL, "--jobs", "0", late], in: work.path, environment: credentials)
        #expect(badJobs.status == 64)

        // Wrong password: a clear refusal naming the status; the secret appears nowhere, not even in debug logs.
        let wrongSecret = "wrong-" + UUID().uuidString
        let delta = try Self.makeWheel(work, "delta", "1.0")
        let rejected = try Self.publish(
            ["--repository-url", server.uploadURL, "--log-level", "debug", "--log-format", "json", delta], in: work.path,
            environment: ["TWINE_USERNAME": PyPIServer.username, "TWINE_PASSWORD": wrongSecret])
        #expect(rejected.status == 77)
        #expect(rejected.stderrText.contains("rejected the credentials (HTTP 40"))
        #expect(!rejected.stderrText.contains(wrongSecret) && !rejected.stdoutText.contains(wrongSecret))
        #expect(!rejected.stderrText.contains(Base64.encode(Array("\(PyPIServer.username):\(wrongSecret)".utf8))))
        let missing = try Self.publish(["--repository-url", server.uploadURL, delta], in: work.path, environment: [:])
        #expect(missing.status == 78)
        #expect(missing.stderrText.contains("no upload credentials: set TWINE_PASSWORD"))

        // One invalid distribution among valid ones: nothing at all is uploaded.
        let mismatched = try Self.makeWheel(work, "epsilon", "1.0", ["--metadata-name", "zeta"], folder: "bad")
        let before = try server.storedFiles()
        let invalid = try Self.publish(["--repository-url", server.uploadURL, delta, mismatched], in: work.path, environment: credentials)
        #expect(invalid.status == 65)
        #expect(
            invalid.stderrText.contains(
                "epsilon-1.0-py3-none-any.whl: invalid distribution: METADATA names zeta, the file name says epsilon; nothing was uploaded"))
        #expect(try server.storedFiles() == before)

        // pip installs what we uploaded, from that index, and it imports.
        let venv = work.file("venv")
        #expect(try ProcessResult.runTool("python3", ["-m", "venv", venv]).status == 0)
        let installed = try ProcessResult.run(
            venv + "/bin/python",
            ["-m", "pip", "install", "--disable-pip-version-check", "--no-cache-dir", "--index-url", server.simpleURL, "alpha-pkg==1.0.0", "beta"])
        #expect(installed.status == 0, "\(installed.stderrText)")
        let imported = try ProcessResult.run(venv + "/bin/python", ["-c", "import alpha_pkg, beta; print(alpha_pkg.__version__, beta.__version__)"])
        #expect(imported.stdoutText == "1.0.0 0.2.0\n", "\(imported.stderrText)")
    }

    @Test("validation refuses what twine check and PyPI refuse, before anything is sent")
    func validation() throws {
        let work = try TemporaryDirectory()
        let cases: [(file: String, expected: String)] = [
            (
                try Self.makeWheel(work, "badrst", "1.0", ["--description", "Title\n=====\n\nan ``unclosed literal\n"], folder: "a"),
                "line 4: Inline literal start-string without end-string; nothing was uploaded"
            ),
            (try Self.makeWheel(work, "badversion", "1.0", ["--metadata-version", "9.9"], folder: "b"), "unknown Metadata-Version 9.9"),
            (
                try Self.makeWheel(work, "badtype", "1.0", ["--description", "x", "--description-content-type", "text/html"], folder: "c"),
                "Description-Content-Type text/html is not one PyPI renders"
            ),
            (try Self.makeWheel(work, "badrecord", "1.0", ["--tamper-record"], folder: "d"), "RECORD"),
        ]
        for folder in ["e", "f"] { try FileManager.default.createDirectory(atPath: work.file(folder), withIntermediateDirectories: true) }
        try work.write("e/notes-1.0.zip", "not a distribution")
        try work.write("f/Bad Name-1.0.tar.gz", "x")
        let all =
            cases + [
                (work.file("e/notes-1.0.zip"), "neither a wheel (.whl) nor an sdist (.tar.gz)"), (work.file("f/Bad Name-1.0.tar.gz"), "PEP 625"),
            ]
        for item in all {
            let result = try Self.publish(["--repository-url", "http://127.0.0.1:9/", "--dry-run", item.file], in: work.path, environment: [:])
            #expect(result.status == 65, "\(item.file): \(result.stderrText)")
            #expect(result.stderrText.contains(item.expected), "\(item.file): \(result.stderrText)")
            #expect(result.stderrText.contains("nothing was uploaded"))
        }
        let insecure = try Self.publish(
            ["--repository-url", "http://pypi.example.com/legacy/", "--dry-run", cases[0].file], in: work.path, environment: [:])
        #expect(insecure.status != 0)
    }

    /// An index stand-in speaking the legacy upload API and PyPI's trusted-publishing endpoints; records each upload.
    final class RecordingIndex: @unchecked Sendable {
        struct Upload {
            let authorization: String?
            let fields: [String: [String]]
            let content: [UInt8]
            let connection: Int
            var filename: String { fields["filename"]?.first ?? "" }
        }

        private let lock = NSLock()
        private var uploadsSeen: [Upload] = []
        private var mintRequests: [[String: Any]] = []
        var server: LoopbackHTTPServer!
        let ambientToken: String
        let refuseMint: Bool

        /// Answers 503 to the first upload after storing it (an answer lost on the way back).
        let loseFirstAnswer: Bool
        /// Leaves files off its simple pages (an index whose pages lag behind uploads).
        let hidesFiles: Bool
        private var lostOne = false

        init(
            ambientToken: String = "", refuseMint: Bool = false, keepAlive: Bool = false, loseFirstAnswer: Bool = false, hidesFiles: Bool = false
        ) throws {
            self.ambientToken = ambientToken
            self.refuseMint = refuseMint
            self.loseFirstAnswer = loseFirstAnswer
            self.hidesFiles = hidesFiles
            server = try LoopbackHTTPServer(keepAlive: keepAlive) { [unowned self] request in self.handle(request) }
        }

        deinit { server.stop() }

        var base: String { "http://127.0.0.1:\(server.port)" }
        var uploads: [Upload] { lock.withLock { uploadsSeen } }
        var mints: [[String: Any]] { lock.withLock { mintRequests } }

        func handle(_ request: HTTPServerRequest) -> HTTPServerResponse {
            func json(_ status: Int, _ object: Any) -> HTTPServerResponse {
                HTTPServerResponse(status: status, contentType: "application/json", body: Array(try! JSONSerialization.data(withJSONObject: object)))
            }
            switch (request.method, request.path) {
            case ("GET", "/actions-token"):
                guard request.headers["authorization"] == "bearer actions-request-token", request.query["audience"] == "pypi" else {
                    return json(403, ["message": "bad request token or audience"])
                }
                return json(200, ["value": ambientToken])
            case ("GET", "/_/oidc/audience"):
                return json(200, ["audience": "pypi"])
            case ("POST", "/_/oidc/mint-token"):
                let object = (try? JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any]) ?? [:]
                lock.withLock { mintRequests.append(object) }
                if refuseMint || object["token"] as? String != ambientToken {
                    return json(
                        422,
                        [
                            "message": "Token request failed",
                            "errors": [["code": "invalid-publisher", "description": "valid token, but no corresponding publisher"]],
                        ])
                }
                return json(200, ["success": true, "token": "pypi-minted-upload-token"])
            case ("POST", "/legacy/"):
                guard let type = request.headers["content-type"], let boundary = type.components(separatedBy: "boundary=").last else {
                    return json(400, ["message": "not multipart"])
                }
                let (fields, content) = Self.parseMultipart(request.body, boundary: boundary)
                let upload = Upload(authorization: request.headers["authorization"], fields: fields, content: content, connection: request.connection)
                let answer: HTTPServerResponse = lock.withLock {
                    // PyPI's answer to a second upload of a file name.
                    if uploadsSeen.contains(where: { $0.filename == upload.filename }) {
                        return HTTPServerResponse(
                            status: 400, contentType: "text/plain", body: Array("File already exists. See /help/#file-name-reuse".utf8))
                    }
                    uploadsSeen.append(upload)
                    if loseFirstAnswer, !lostOne {
                        lostOne = true
                        return HTTPServerResponse(status: 503, contentType: "text/plain", body: Array("upstream timed out".utf8))
                    }
                    return HTTPServerResponse(status: 200, contentType: "text/plain", body: Array("OK".utf8))
                }
                return answer
            case ("GET", let path) where path.hasPrefix("/simple/"):
                // PEP 503: one anchor per file, its sha256 in the fragment.
                let project = path.dropFirst("/simple/".count).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
                let links = uploads.filter { !hidesFiles && WheelFilename.normalize($0.fields["name"]?.first ?? "") == project }.map {
                    "<a href=\"../../files/\($0.filename)#sha256=\(DigestAlgorithm.sha256.hash($0.content).hex)\">\($0.filename)</a><br/>"
                }
                return HTTPServerResponse(status: 200, contentType: "text/html", body: Array("<html><body>\(links.joined())</body></html>".utf8))
            default:
                return json(404, ["message": "not found"])
            }
        }

        /// multipart/form-data: text fields by name (repeatable), and the bytes of the `content` file part.
        static func parseMultipart(_ body: [UInt8], boundary: String) -> ([String: [String]], [UInt8]) {
            let data = Data(body)
            let delimiter = Data("--\(boundary)".utf8)
            var fields: [String: [String]] = [:]
            var content: [UInt8] = []
            var ranges: [Range<Data.Index>] = []
            var search = data.startIndex
            while let found = data.range(of: delimiter, in: search..<data.endIndex) {
                ranges.append(found)
                search = found.upperBound
            }
            for (start, end) in zip(ranges, ranges.dropFirst()) {
                let part = data[start.upperBound..<end.lowerBound]
                guard let split = part.range(of: Data("\r\n\r\n".utf8)) else { continue }
                let head = String(decoding: part[part.startIndex..<split.lowerBound], as: UTF8.self)
                var value = part[split.upperBound..<part.endIndex]
                if value.suffix(2) == Data("\r\n".utf8) { value = value.dropLast(2) }
                guard let nameRange = head.range(of: "name=\"") else { continue }
                let name = String(head[nameRange.upperBound...].prefix { $0 != "\"" })
                if let file = head.range(of: "filename=\"") {
                    content = Array(value)
                    fields["filename"] = [String(head[file.upperBound...].prefix { $0 != "\"" })]
                } else {
                    fields[name, default: []].append(String(decoding: value, as: UTF8.self))
                }
            }
            return (fields, content)
        }
    }

    @Test("uploads to an index that keeps connections alive share one connection; small and large files arrive byte for byte")
    func connectionReuse() throws {
        let work = try TemporaryDirectory()
        let wheels = [
            try Self.makeWheel(work, "first", "1.0.0"),
            try Self.makeWheel(work, "second", "1.0.0", ["--payload-bytes", "400000"]),
            try Self.makeWheel(work, "third", "1.0.0", ["--modules", "3"]),
        ]
        let credentials = ["TWINE_USERNAME": "uploader", "TWINE_PASSWORD": "secret"]
        for keepAlive in [true, false] {
            let index = try RecordingIndex(keepAlive: keepAlive)
            let result = try Self.publish(["--repository-url", "\(index.base)/legacy/"] + wheels, in: work.path, environment: credentials)
            #expect(result.status == 0, "\(result.stderrText)")
            let uploads = index.uploads
            #expect(uploads.map(\.content) == (try wheels.map { Array(try Data(contentsOf: URL(fileURLWithPath: $0))) }))
            #expect(uploads.map { $0.fields["name"] ?? [] } == [["first"], ["second"], ["third"]])
            if keepAlive {
                #expect(Set(uploads.map(\.connection)).count == 1, "one kept-alive connection: \(uploads.map(\.connection))")
            } else {
                #expect(Set(uploads.map(\.connection)).count == 3, "the index closes each connection: \(uploads.map(\.connection))")
            }
        }
    }

    @Test("progress bars: on a terminal a bar per upload; none when piped, with -q, with --log-format json, or with --jobs above 1")
    func progressBars() throws {
        let work = try TemporaryDirectory()
        let wheel = try Self.makeWheel(work, "progress", "1.0.0", ["--payload-bytes", "300000"])
        let name = URL(fileURLWithPath: wheel).lastPathComponent
        let environment = ["PATH": "/usr/bin:/bin", "TWINE_USERNAME": "u", "TWINE_PASSWORD": "p"]
        func upload(_ extra: [String], terminal: Bool) throws -> String {
            let index = try RecordingIndex()
            let arguments = ["publish", "pypi", "--repository-url", "\(index.base)/legacy/"] + extra + [wheel]
            let result =
                terminal
                ? try HephaestusBinary.runInTerminal(arguments, in: work.path, environment: environment)
                : try HephaestusBinary.run(arguments, in: work.path, environment: environment)
            #expect(result.status == 0, "\(result.stdoutText)\(result.stderrText)")
            #expect(index.uploads.count == 1)
            return result.stdoutText + result.stderrText
        }
        let shown = try upload([], terminal: true)
        #expect(shown.contains("\r\(name)  0.3 MB / 0.3 MB [########################] 100%"), "\(shown)")
        #expect(shown.contains("MB/s"))
        #expect(shown.contains("uploaded: \(name)"))
        for (extra, terminal) in [([String](), false), (["-q"], true), (["--log-format", "json"], true), (["--jobs", "2"], true)] {
            let output = try upload(extra, terminal: terminal)
            #expect(!output.contains("MB/s"), "\(extra) terminal=\(terminal): \(output)")
            #expect(output.contains("uploaded: \(name)"), "results still go to stdout: \(output)")
        }
    }

    @Test("-r NAME reads ~/.pypirc (--config-file): URL, username, password; the environment's password wins; a readable file is warned about")
    func pypirc() throws {
        let work = try TemporaryDirectory()
        let wheel = try Self.makeWheel(work, "configured", "1.0.0")
        let index = try RecordingIndex()
        let secret = "file-secret-" + UUID().uuidString
        let config = try work.write(
            ".pypirc",
            "[distutils]\nindex-servers =\n    local\n\n[local]\nrepository = \(index.base)/legacy/\nusername = alice\npassword = \(secret)\n")
        chmod(config, 0o644)
        let fromFile = try Self.publish(["-r", "local", "--config-file", config, wheel], in: work.path, environment: ["HOME": work.path])
        #expect(fromFile.status == 0, "\(fromFile.stderrText)")
        #expect(index.uploads.last?.authorization == "Basic " + Base64.encode(Array("alice:\(secret)".utf8)))
        #expect(fromFile.stderrText.contains("\(config) holds a password and other users can read it (chmod 600 \(config))"))
        #expect(!fromFile.stderrText.contains(secret) && !fromFile.stdoutText.contains(secret))

        // ~/.pypirc by default (HOME); TWINE_PASSWORD wins over the file; a private file is not warned about.
        chmod(config, 0o600)
        let other = try Self.makeWheel(work, "configured-two", "1.0.0")
        let fromEnvironment = try Self.publish(
            ["-r", "local", other], in: work.path, environment: ["HOME": work.path, "TWINE_PASSWORD": "env-secret"])
        #expect(fromEnvironment.status == 0, "\(fromEnvironment.stderrText)")
        #expect(index.uploads.last?.authorization == "Basic " + Base64.encode(Array("alice:env-secret".utf8)))
        #expect(!fromEnvironment.stderrText.contains("other users can read it"))

        let unknown = try Self.publish(["-r", "nope", wheel], in: work.path, environment: ["HOME": work.path])
        #expect(unknown.status == 78)
        #expect(unknown.stderrText.contains("repository nope is not defined in \(config) (sections: distutils, local)"))
        let both = try Self.publish(
            ["-r", "local", "--repository-url", "\(index.base)/legacy/", wheel], in: work.path, environment: ["HOME": work.path])
        #expect(both.status == 64)
    }

    @Test(
        "an upload whose answer was lost is retried; the index's 'already exists' with our bytes on its simple page is success, anything else is not")
    func lostAnswer() throws {
        let work = try TemporaryDirectory()
        let wheel = try Self.makeWheel(work, "lost-answer", "1.0.0")
        let credentials = ["TWINE_USERNAME": "uploader", "TWINE_PASSWORD": "secret"]

        // The first attempt is stored but answered 503; the retry hears "File already exists"; the simple page shows
        // our sha256: uploaded (exit 0), the file sent twice, stored once.
        let index = try RecordingIndex(loseFirstAnswer: true)
        let result = try Self.publish(["--repository-url", "\(index.base)/legacy/", "--json", wheel], in: work.path, environment: credentials)
        #expect(result.status == 0, "\(result.stderrText)")
        let files = try #require((try JSONSerialization.jsonObject(with: Data(result.stdout)) as? [String: Any])?["files"] as? [[String: Any]])
        #expect(files.first?["status"] as? String == "uploaded")
        #expect(files.first?["note"] as? String == "an earlier attempt stored it; its answer was lost")
        #expect(index.uploads.count == 1)
        #expect(index.uploads.first?.content == Array(try Data(contentsOf: URL(fileURLWithPath: wheel))))

        // The same, but the index's page does not list the file yet: not claimed as uploaded; the error says why.
        let lagging = try RecordingIndex(loseFirstAnswer: true, hidesFiles: true)
        let unsure = try Self.publish(["--repository-url", "\(lagging.base)/legacy/", wheel], in: work.path, environment: credentials)
        #expect(unsure.status == 1)
        #expect(
            unsure.stderrText.contains(
                "lost_answer-1.0.0-py3-none-any.whl already exists on \(lagging.base)/legacy/ (perhaps stored by an earlier attempt whose answer was lost)"
            ),
            "\(unsure.stderrText)")
        // With --skip-existing it is skipped, and the output says it was not compared.
        let skipped = try Self.publish(
            ["--repository-url", "\(lagging.base)/legacy/", "--skip-existing", wheel], in: work.path, environment: credentials)
        #expect(skipped.status == 0, "\(skipped.stderrText)")
        #expect(skipped.stdoutText.contains("skipped-existing: lost_answer-1.0.0-py3-none-any.whl (not compared with the index's copy: "))
        #expect(skipped.stdoutText.contains("does not list lost_answer-1.0.0-py3-none-any.whl)"))

        // --index-url points the comparison elsewhere: an index whose page lists other bytes under the name refuses.
        let other = try Self.makeWheel(work, "lost-answer", "1.0.0", ["--modules", "2"], folder: "other")
        let holder = try RecordingIndex()
        #expect(try Self.publish(["--repository-url", "\(holder.base)/legacy/", other], in: work.path, environment: credentials).status == 0)
        let refused = try Self.publish(
            ["--repository-url", "\(lagging.base)/legacy/", "--index-url", "\(holder.base)/simple/", "--skip-existing", wheel], in: work.path,
            environment: credentials)
        #expect(refused.status == 1)
        #expect(
            refused.stderrText.contains("with different content (the index has sha256 \(try DigestAlgorithm.sha256.hash(fileAt: other).hex)"),
            "\(refused.stderrText)")
    }

    @Test(
        "--trusted-publishing exchanges the ambient OIDC token; --attestations sends PEP 740 attestations that verify with us and with sigstore-python"
    )
    func attestationsAndTrustedPublishing() throws {
        let sigstore = try SigstoreTestServer()
        let work = try TemporaryDirectory()
        let ambient = try sigstore.token(identity: "https://github.com/acme/widgets/.github/workflows/release.yml@refs/tags/v1.0.0")
        let index = try RecordingIndex(ambientToken: ambient)
        let wheel = try Self.makeWheel(work, "widgets", "1.0.0", ["--description", "Widgets.\n", "--description-content-type", "text/plain"])
        let publisher = "publisher@example.com"
        let environment = [
            "ACTIONS_ID_TOKEN_REQUEST_URL": "\(index.base)/actions-token?api-version=2.0", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "actions-request-token",
        ]
        let result = try Self.publish(
            [
                "--repository-url", "\(index.base)/legacy/", "--trusted-publishing", "--attestations", "--identity-token",
                try sigstore.token(identity: publisher),
                "--signing-config", sigstore.rekorV1SigningConfigPath, "--trusted-root", sigstore.trustedRootPath, wheel,
            ],
            in: work.path, environment: environment)
        #expect(result.status == 0, "\(result.stderrText)")
        #expect(result.stdoutText.contains("uploaded: widgets-1.0.0-py3-none-any.whl (with a publish attestation)"))
        #expect(index.mints.count == 1)
        #expect(index.mints.first?["token"] as? String == ambient, "the ambient token (audience pypi) went to mint-token")
        let upload = try #require(index.uploads.first)
        #expect(upload.authorization == "Basic " + Base64.encode(Array("__token__:pypi-minted-upload-token".utf8)))
        #expect(upload.content == Array(try Data(contentsOf: URL(fileURLWithPath: wheel))), "the file travels byte for byte")
        #expect(upload.fields[":action"] == ["file_upload"])
        #expect(upload.fields["protocol_version"] == ["1"])
        #expect(upload.fields["name"] == ["widgets"] && upload.fields["version"] == ["1.0.0"])
        #expect(upload.fields["filetype"] == ["bdist_wheel"] && upload.fields["pyversion"] == ["py3"])
        #expect(upload.fields["sha256_digest"] == [try DigestAlgorithm.sha256.hash(fileAt: wheel).hex])
        #expect(upload.fields["description"] == ["Widgets.\n"] || upload.fields["description"] == ["Widgets."])
        #expect(!result.stderrText.contains("pypi-minted-upload-token") && !result.stderrText.contains(ambient))

        // The attestation: one PEP 740 object whose statement names the file and its digest, verifiable as a bundle.
        let attestations = try #require(
            try JSONSerialization.jsonObject(with: Data((upload.fields["attestations"]?.first ?? "").utf8)) as? [[String: Any]])
        #expect(attestations.count == 1)
        let attestation = try #require(attestations.first)
        #expect(attestation["version"] as? Int == 1)
        let envelope = try #require(attestation["envelope"] as? [String: Any])
        let statement = try #require(
            try JSONSerialization.jsonObject(with: Base64.decode(envelope["statement"] as? String ?? "").map { Data($0) } ?? Data()) as? [String: Any]
        )
        #expect(statement["predicateType"] as? String == "https://docs.pypi.org/attestations/publish/v1")
        let subject = try #require((statement["subject"] as? [[String: Any]])?.first)
        #expect(subject["name"] as? String == "widgets-1.0.0-py3-none-any.whl")
        #expect((subject["digest"] as? [String: String])?["sha256"] == (try DigestAlgorithm.sha256.hash(fileAt: wheel).hex))
        let bundle = try work.write("attestation.sigstore.json", try PublishAttestationBundle.fromAttestation(attestation))
        let ours = try HephaestusBinary.run(
            [
                "verify", "bundle", "--bundle", bundle, "--certificate-identity", publisher, "--certificate-oidc-issuer", sigstore.issuer,
                "--trusted-root", sigstore.trustedRootPath, wheel,
            ])
        #expect(ours.status == 0, "\(ours.stderrText)")
        let otherFile = try work.write("other.whl", "other")
        let oursTampered = try HephaestusBinary.run(
            [
                "verify", "bundle", "--bundle", bundle, "--certificate-identity", publisher, "--certificate-oidc-issuer", sigstore.issuer,
                "--trusted-root", sigstore.trustedRootPath, otherFile,
            ])
        #expect(oursTampered.status == 1)
        if SigstorePythonPeer.isUsable {
            let trustConfig = try work.write(
                "trust-v1.json",
                SigstorePythonPeer.trustConfig(
                    trustedRoot: try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: sigstore.trustedRootPath)))
                        as! [String: Any],
                    signingConfig: try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: sigstore.rekorV1SigningConfigPath)))
                        as! [String: Any]))
            let peer = try SigstorePythonPeer.verifyIdentity(
                trustConfig: trustConfig, bundle: bundle, artifact: wheel, identity: publisher, issuer: sigstore.issuer)
            #expect(peer.status == 0, "sigstore-python rejected the attestation's bundle: \(peer.stderrText)")
            let peerTampered = try SigstorePythonPeer.verifyIdentity(
                trustConfig: trustConfig, bundle: bundle, artifact: otherFile, identity: publisher, issuer: sigstore.issuer)
            #expect(peerTampered.status != 0)
        } else {
            print(SigstorePythonPeer.absenceMessage)
        }

        // The index refuses the OIDC token: a clear error with its reason, and nothing uploaded.
        let refusing = try RecordingIndex(ambientToken: ambient, refuseMint: true)
        let refused = try Self.publish(
            ["--repository-url", "\(refusing.base)/legacy/", "--trusted-publishing", wheel], in: work.path,
            environment: environment.merging(["ACTIONS_ID_TOKEN_REQUEST_URL": "\(refusing.base)/actions-token"]) { _, new in new })
        #expect(refused.status == 77)
        #expect(
            refused.stderrText.contains(
                "trusted publishing failed: the index refused the OIDC token (HTTP 422): valid token, but no corresponding publisher"))
        #expect(refusing.uploads.isEmpty)
        #expect(!refused.stderrText.contains(ambient))
    }
}

/// The Sigstore bundle a PEP 740 attestation object stands for (the test's own conversion, independent of the code
/// under test): certificate and transparency entries as verification material, the DSSE envelope rebuilt.
enum PublishAttestationBundle {
    static func fromAttestation(_ attestation: [String: Any]) throws -> [UInt8] {
        let material = try #require(attestation["verification_material"] as? [String: Any])
        let envelope = try #require(attestation["envelope"] as? [String: Any])
        let bundle: [String: Any] = [
            "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
            "verificationMaterial": [
                "certificate": ["rawBytes": try #require(material["certificate"] as? String)],
                "tlogEntries": try #require(material["transparency_entries"] as? [Any]),
            ],
            "dsseEnvelope": [
                "payload": try #require(envelope["statement"] as? String), "payloadType": "application/vnd.in-toto+json",
                "signatures": [["sig": try #require(envelope["signature"] as? String)]],
            ],
        ]
        return Array(try JSONSerialization.data(withJSONObject: bundle))
    }
}
