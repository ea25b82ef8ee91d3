import Foundation
import HephaestusPlatform
import HephaestusTestSupport
import Testing

@Suite("Downloads: streaming, resume, integrity, nothing left behind")
struct DownloadTests {
    static let url = URL(string: "https://api.github.test/repos/o/r/releases/assets/7")!
    static let payload: [UInt8] = (0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }

    static func client(_ transport: ScriptedTransport) throws -> HTTPClient {
        let sleeper = RecordingSleeper()
        return HTTPClient(transport: transport, policy: try RetryPolicy(maxRetries: 3), sleeper: sleeper, clock: sleeper.clock, random: { 0.5 })
    }

    static func request(_ directory: TemporaryDirectory, expectedSize: Int64? = Int64(payload.count), digest: Bool = true) -> DownloadRequest {
        DownloadRequest(
            url: url, destinationDirectory: directory.path, fileName: "wheelhouse.tar.gz", expectedSize: expectedSize,
            expectedDigest: digest ? DigestAlgorithm.sha256.hash(payload) : nil)
    }

    static func entries(_ directory: TemporaryDirectory) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
    }

    @Test("A whole body is saved under its name with its SHA-256 computed in the same pass")
    func whole() throws {
        let directory = try TemporaryDirectory()
        let transport = ScriptedTransport([.response(status: 200, headers: [("Content-Length", "\(Self.payload.count)")], body: Self.payload)])
        let file = try Self.client(transport).download(Self.request(directory))
        #expect(file.sha256 == DigestAlgorithm.sha256.hash(Self.payload))
        #expect(try Self.entries(directory) == ["wheelhouse.tar.gz"])
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: file.path))) == Self.payload)
        #expect(transport.requests[0].headers["Accept"] == "application/octet-stream")
    }

    @Test("A reset mid-body resumes with Range when the server answers 206")
    func resume() throws {
        let directory = try TemporaryDirectory()
        let half = Self.payload.count / 2
        let transport = ScriptedTransport([
            .partial(
                status: 200, headers: [("Content-Length", "\(Self.payload.count)")], body: Array(Self.payload[..<half]),
                failure: "Connection reset by peer"),
            .response(
                status: 206,
                headers: [
                    ("Content-Length", "\(Self.payload.count - half)"),
                    ("Content-Range", "bytes \(half)-\(Self.payload.count - 1)/\(Self.payload.count)"),
                ],
                body: Array(Self.payload[half...])),
        ])
        let file = try Self.client(transport).download(Self.request(directory))
        #expect(transport.requests[1].headers["Range"] == "bytes=\(half)-")
        #expect(file.sha256 == DigestAlgorithm.sha256.hash(Self.payload))
        #expect(try Self.entries(directory) == ["wheelhouse.tar.gz"])
    }

    @Test("Multi-block bodies hash right when hashing trails writing: odd sizes, a Range resume, a restart from zero")
    func multiBlock() throws {
        let large: [UInt8] = (0..<(3 << 20) + 123).map { UInt8(truncatingIfNeeded: ($0 &* 2_654_435_761) >> 13) }
        let digest = DigestAlgorithm.sha256.hash(large)
        func request(_ directory: TemporaryDirectory) -> DownloadRequest {
            DownloadRequest(
                url: Self.url, destinationDirectory: directory.path, fileName: "big.bin", expectedSize: Int64(large.count), expectedDigest: digest)
        }
        let cut = (1 << 20) + 777
        let resumed = try TemporaryDirectory()
        let resuming = ScriptedTransport([
            .partial(status: 200, headers: [("Content-Length", "\(large.count)")], body: Array(large[..<cut]), failure: "Connection reset by peer"),
            .response(
                status: 206,
                headers: [("Content-Length", "\(large.count - cut)"), ("Content-Range", "bytes \(cut)-\(large.count - 1)/\(large.count)")],
                body: Array(large[cut...])),
        ])
        let file = try Self.client(resuming).download(request(resumed))
        #expect(file.sha256 == digest)
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: file.path))) == large)

        let restarted = try TemporaryDirectory()
        let restarting = ScriptedTransport([
            .partial(
                status: 200, headers: [], body: Array(large[..<cut].reversed()), failure: "transfer closed with outstanding read data remaining"),
            .response(status: 200, headers: [("Content-Length", "\(large.count)")], body: large),
        ])
        let again = try Self.client(restarting).download(request(restarted))
        #expect(again.sha256 == digest, "bytes of the abandoned first body must not reach the hash")
        #expect(try Self.entries(restarted) == ["big.bin"])
    }

    @Test("A server that ignores Range (200) restarts the file from zero")
    func restart() throws {
        let directory = try TemporaryDirectory()
        let transport = ScriptedTransport([
            .partial(status: 200, headers: [], body: Array(Self.payload[..<1000]), failure: "transfer closed with outstanding read data remaining"),
            .response(status: 200, headers: [("Content-Length", "\(Self.payload.count)")], body: Self.payload),
        ])
        let file = try Self.client(transport).download(Self.request(directory))
        #expect(file.size == Int64(Self.payload.count))
        #expect(file.sha256 == DigestAlgorithm.sha256.hash(Self.payload))
    }

    @Test("A captive portal's HTML is refused and not saved")
    func captivePortal() throws {
        let directory = try TemporaryDirectory()
        let html = Array("<html><body>Please log in to the hotel Wi-Fi</body></html>".utf8)
        let transport = ScriptedTransport([.response(status: 200, headers: [("Content-Length", "\(html.count)")], body: html)])
        #expect(throws: TransportError.self) { try Self.client(transport).download(Self.request(directory)) }
        #expect(try Self.entries(directory).isEmpty)
        // Even without a declared Content-Length, the digest refuses it.
        let silent = ScriptedTransport([.response(status: 200, body: html)])
        #expect(throws: TransportError.self) { try Self.client(silent).download(Self.request(directory, expectedSize: nil)) }
        #expect(try Self.entries(directory).isEmpty)
    }

    @Test("An endless body stops at the maximum size; nothing is kept")
    func endless() throws {
        let directory = try TemporaryDirectory()
        let transport = ScriptedTransport([.response(status: 200, body: [UInt8](repeating: 0, count: 300_000))])
        var request = Self.request(directory, expectedSize: nil, digest: false)
        request.maximumSize = 200_000
        #expect(throws: TransportError.bodyTooLarge(url: Self.url.absoluteString, limit: 200_000)) {
            try Self.client(transport).download(request)
        }
        #expect(try Self.entries(directory).isEmpty)
    }

    @Test("A digest that differs from the API's is refused")
    func digestMismatch() throws {
        let directory = try TemporaryDirectory()
        var tampered = Self.payload
        tampered[10] ^= 1
        let transport = ScriptedTransport([.response(status: 200, headers: [("Content-Length", "\(tampered.count)")], body: tampered)])
        #expect(throws: TransportError.self) { try Self.client(transport).download(Self.request(directory)) }
        #expect(try Self.entries(directory).isEmpty)
    }

    @Test("HTTP errors on the download are reported with their status, after retries for 5xx")
    func httpErrors() throws {
        let directory = try TemporaryDirectory()
        let notFound = ScriptedTransport([.response(status: 404, body: Array("Not Found".utf8))])
        #expect(throws: TransportError.httpStatus(url: Self.url.absoluteString, status: 404, message: "Not Found")) {
            try Self.client(notFound).download(Self.request(directory))
        }
        let flaky = ScriptedTransport([
            .response(status: 502, body: Array("bad gateway".utf8)),
            .response(status: 200, headers: [("Content-Length", "\(Self.payload.count)")], body: Self.payload),
        ])
        #expect(try Self.client(flaky).download(Self.request(directory)).size == Int64(Self.payload.count))
        #expect(try Self.entries(directory) == ["wheelhouse.tar.gz"])
    }
}
