import Foundation
import HephaestusCore
import HephaestusPlatform
import HephaestusSigstore
import HephaestusTestSupport
import SwiftProtobuf
import Testing

@testable import HephaestusServer

/// `POST /v1/verify/bundle`'s work on the genuine public-good cases: the same verdicts as `verify bundle`, a bundle
/// sent in the request rather than read from a file, and a malformed request refused rather than judged.
@Suite("serve: bundle verification from request bodies", .enabled(if: SharedFixtures.isAvailable, Comment(rawValue: SharedFixtures.absenceMessage)))
struct BundleVerificationServiceTests {
    static let cases = SharedFixtures.sigstorePythonCases.filter { $0.trustedRoot.hasSuffix("/trusted_root.json") }

    static func service(root: String) throws -> BundleVerificationService {
        BundleVerificationService(
            roots: try TrustRoots(defaultSelection: .file(path: SharedFixtures.sigstorePython.appendingPathComponent(root).path), extra: [:]))
    }

    /// The request body of a case: the bundle as an object, the artifact as its digest.
    static func body(_ item: SharedFixtures.SigstorePythonCase) throws -> Hephaestus_V1_VerifyBundleRequest {
        let directory = SharedFixtures.sigstorePython
        let bundle = try Data(contentsOf: directory.appendingPathComponent(item.bundle))
        let digest: String
        if item.artifact.hasPrefix("sha256:") {
            digest = item.artifact
        } else {
            digest = "sha256:" + DigestAlgorithm.sha256.hash(Array(try Data(contentsOf: directory.appendingPathComponent(item.artifact)))).hex
        }
        var request = Hephaestus_V1_VerifyBundleRequest()
        request.bundleJson = String(decoding: bundle, as: UTF8.self)
        request.artifactDigest = digest
        request.certificateIdentity = item.identity
        request.certificateOidcIssuer = item.issuer
        return request
    }

    @Test("each genuine case gets the verdict sigstore-python gives", arguments: cases)
    func verdicts(_ item: SharedFixtures.SigstorePythonCase) throws {
        let service = try Self.service(root: item.trustedRoot)
        let document = try service.verify(VerifyBundleInput(try Self.body(item)), source: "request.bundle", runID: RunID("run"))
        let json = try document.json()
        #expect(document.passed == (item.expect == "pass"), "\(item.name): \(String(decoding: json, as: UTF8.self))")
        // The document is the gRPC message's proto3 JSON mapping: it decodes with no unknown field, to the message
        // gRPC sends, built field by field.
        var options = JSONDecodingOptions()
        options.ignoreUnknownFields = false
        let decoded = try Hephaestus_V1_VerificationResult(jsonUTF8Bytes: json, options: options)
        let message = document.message()
        #expect(message == decoded, "\(item.name): \(message) is not \(decoded)")
        #expect(message.verdict == item.expect && message.mediaType == MediaType.verificationResult && message.runID == "run")
        // Written by the service's own encoder, the document is the text Foundation's JSONEncoder writes.
        let report = try service.report(VerifyBundleInput(try Self.body(item)), source: "request.bundle")
        let foundation = JSONEncoder()
        foundation.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        foundation.dateEncodingStrategy = .iso8601
        let result = ResultDocument(mediaType: MediaType.verificationResult, runID: RunID("run"), payload: report)
        #expect(try CompactJSONEncoder().encode(result) == Array(try foundation.encode(result)))
    }

    @Test("the bundle as an object (REST's form) verifies as its text does; a tampered bundle is a fail verdict")
    func objectForm() throws {
        let item = try #require(Self.cases.first { $0.name == "github_actions_wheel_production" })
        let service = try Self.service(root: item.trustedRoot)
        var request = try Self.body(item)
        request.bundle = try Google_Protobuf_Struct(jsonString: request.bundleJson)
        request.bundleJson = ""
        let passed = try service.verify(VerifyBundleInput(request), source: "request.bundle", runID: RunID("r"))
        #expect(passed.passed)
        let text = String(decoding: try passed.json(), as: UTF8.self)
        #expect(text.contains(#""bundle":"request.bundle""#) && text.contains(#""identity":"https://github.com/trailofbits/rfc8785.py"#))
        // One changed signature byte: the verdict is fail, at the signature step, not an error.
        var tampered = try Self.body(item)
        let signature = try #require(tampered.bundleJson.range(of: #""signature": ""#) ?? tampered.bundleJson.range(of: #""signature":""#))
        let at = tampered.bundleJson.index(signature.upperBound, offsetBy: 10)
        let original = tampered.bundleJson[at]
        tampered.bundleJson.replaceSubrange(at...at, with: original == "A" ? "B" : "A")
        let failed = try service.verify(VerifyBundleInput(tampered), source: "request.bundle", runID: RunID("r"))
        #expect(!failed.passed)
        // Not a bundle at all: a verdict too.
        var notBundle = try Self.body(item)
        notBundle.bundleJson = "{}"
        #expect(try !service.verify(VerifyBundleInput(notBundle), source: "request.bundle", runID: RunID("r")).passed)
    }

    @Test("malformed requests are refused with a message naming the field")
    func malformed() throws {
        let item = try #require(Self.cases.first { $0.name == "github_actions_wheel_production" })
        let service = try Self.service(root: item.trustedRoot)
        let good = try Self.body(item)
        func refusal(_ change: (inout Hephaestus_V1_VerifyBundleRequest) -> Void, source: String = "request.bundle") -> String? {
            var request = good
            change(&request)
            do {
                _ = try service.verify(VerifyBundleInput(request), source: source, runID: RunID("r"))
                return nil
            } catch let error as RequestError {
                return error.message
            } catch {
                return "unexpected \(error)"
            }
        }
        #expect(refusal { $0.artifactDigest = "" } == "artifactDigest is required")
        #expect(refusal { $0.artifactDigest = "sha256:abc" }?.contains("sha256:abc") == true)
        #expect(refusal { $0.artifactDigest = "md5:abc" }?.contains("is not a digest") == true)
        #expect(refusal { $0.bundleJson = "" } == "bundle (an object) or bundleJson (its text) is required")
        #expect(refusal { $0.bundle = Google_Protobuf_Struct() } == "bundle and bundleJson cannot be used together")
        #expect(refusal { $0.certificateIdentityRegexp = ".*" }?.contains("certificateIdentity or certificateIdentityRegexp") == true)
        #expect(refusal { $0.clearCertificateOidcIssuer() }?.contains("certificateOidcIssuer") == true)
        #expect(refusal { $0.key = "not a key" }?.contains("do not combine") == true)
        #expect(refusal { $0.trustedRoot = "private" }?.contains("trustedRoot private is not a root") == true)
        #expect(refusal({ $0.artifactDigest = "" }, source: "request.items[3].bundle") == "items[3].artifactDigest is required")
    }

    @Test("REST bodies: the bundle parsed with the body gives the same document as gRPC's message (the proto3 JSON mapping)")
    func restBodies() throws {
        for item in Self.cases {
            let service = try Self.service(root: item.trustedRoot)
            var request = try Self.body(item)
            let bundle = request.bundleJson
            request.bundleJson = ""
            var body: [UInt8] = try request.jsonUTF8Bytes()
            // {"artifactDigest":…} + "bundle": the bundle's own text, as a client sends it.
            body.removeLast()
            body.append(contentsOf: #","bundle":"#.utf8)
            body.append(contentsOf: bundle.utf8)
            body.append(UInt8(ascii: "}"))
            let read = try VerifyBundleBody.request(body)
            #expect(read.parsedBundle != nil, "\(item.name): the bundle was not taken from the body")
            let whole = try Hephaestus_V1_VerifyBundleRequest(jsonUTF8Bytes: body)
            // gRPC's form, a google.protobuf.Struct, read as the JSON its proto3 JSON mapping would write.
            let structText: [UInt8] = try whole.bundle.jsonUTF8Bytes()
            #expect(JSONValue(whole.bundle, maximumValues: .max) == (try JSONValue.parse(structText)), "\(item.name)")
            let fast = try service.verify(read, source: "request.bundle", runID: RunID("r"))
            let slow = try service.verify(VerifyBundleInput(whole), source: "request.bundle", runID: RunID("r"))
            #expect(try fast.json() == slow.json() && fast.passed == (item.expect == "pass"), "\(item.name)")
            // A batch of two of it: the same two documents.
            let batch: [UInt8] = Array(#"{"items":["#.utf8) + body + [UInt8(ascii: ",")] + body + Array("]}".utf8)
            let batchItems = try VerifyBundleBody.items(batch)
            let items = try (0..<batchItems.count).map { try batchItems.item($0) }
            #expect(items.count == 2 && items.allSatisfy { $0.parsedBundle != nil })
            for input in items {
                #expect(try service.verify(input, source: "request.bundle", runID: RunID("r")).json() == slow.json())
            }
        }
    }

    @Test("a deferred parse keeps each array element's range, parsed later to what the whole parse gives, with the same strictness")
    func deferredElements() throws {
        let text = Array(#"{"items": [{"a": 1}, [2, {"b": "\u00e9"}], "x", 3.5, null], "z": true}"#.utf8)
        guard case .object(let fields) = try JSONValue.parse(text), case .array(let items)? = fields["items"] else {
            Issue.record("the whole parse has no items")
            return
        }
        let (object, elements) = try #require(try JSONValue.parse(text, deferringElementsOf: "items"))
        #expect(elements.count == items.count)
        for (range, item) in zip(elements, items) { #expect(try JSONValue.parse(text[range]) == item) }
        #expect(object["z"] == .bool(true) && object["items"] == .array([]))
        for malformed in [#"{"items": [{"a": 1, "a": 2}]}"#, #"{"items": [1,]}"#, #"{"items": [1], "items": [2]}"#, #"{"items": ["\x"]}"#] {
            #expect(throws: JSONValue.ParseError.self, "\(malformed)") { try JSONValue.parse(Array(malformed.utf8), deferringElementsOf: "items") }
        }
        #expect(try JSONValue.parse(Array("[1]".utf8), deferringElementsOf: "items") == nil)
        #expect(try JSONValue.parse(Array(#"{"items": 1}"#.utf8), deferringElementsOf: "items") == nil)
    }

    @Test(
        "a batch body's items are read when verified: a malformed one is named by its index; a large body the strict parser refuses is not decoded whole"
    )
    func batchItemsReadOneByOne() throws {
        let digest = #""artifactDigest":"sha256:\#(String(repeating: "a", count: 64))""#
        let good = "{\(digest),\"bundle\":{}}"
        let items = try VerifyBundleBody.items(Array(#"{"items":[\#(good),{\#(digest),"bundle":{},"surprise":1}]}"#.utf8))
        #expect(items.count == 2)
        #expect(try items.item(0).parsedBundle != nil)
        let error = #expect(throws: RequestError.self) { try items.item(1) }
        #expect(error?.message.hasPrefix("items[1]: ") == true && error?.message.contains("surprise") == true, "\(String(describing: error))")
        #expect(throws: RequestError.self) { try VerifyBundleBody.items(Array(#"{"items":[],"surprise":1}"#.utf8)) }
        // Over a mebibyte with a trailing comma: the strict parser's reason, at the byte where it stopped.
        var large = Array(#"{"items":["#.utf8)
        while large.count <= VerifyBundleBody.wholeDecodingLimit { large += Array(good.utf8) + [UInt8(ascii: ",")] }
        large += Array("]}".utf8)
        let refused = #expect(throws: RequestError.self) { try VerifyBundleBody.items(large) }
        #expect(refused?.message.contains("at byte \(large.count - 2)") == true, "\(String(describing: refused))")
    }

    @Test("a parse counts every value and stops at the one too many; a deferred array stops at its element bound")
    func valueAndElementBounds() throws {
        let text = Array(#"{"a": [1, "x", {"b": null}], "c": true}"#.utf8)  // 7 values
        #expect(try JSONValue.parse(text, maximumValues: 7) == (try JSONValue.parse(text)))
        let refused = #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(text, maximumValues: 6) }
        #expect(refused?.exceedsLimit == true && refused?.description == "more than 6 values at byte 34", "\(String(describing: refused))")
        let malformed = #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(Array("[1,]".utf8), maximumValues: 9) }
        #expect(malformed?.exceedsLimit == false)
        let items = Array(#"{"items": [1, 2, 3]}"#.utf8)
        #expect(try JSONValue.parse(items, deferringElementsOf: "items", maximumElements: 3)?.elements.count == 3)
        let over = #expect(throws: JSONValue.ParseError.self) { try JSONValue.parse(items, deferringElementsOf: "items", maximumElements: 2) }
        #expect(over?.exceedsLimit == true && over?.description == "more than 2 elements at byte 17", "\(String(describing: over))")
    }

    @Test(
        "a bundle of more JSON values than any bundle holds, or a batch of too many items, is refused before it is held parsed, in every form"
    )
    func boundedBodies() throws {
        let item = try #require(Self.cases.first { $0.name == "github_actions_wheel_production" })
        let service = try Self.service(root: item.trustedRoot)
        let request = try Self.body(item)
        let signer = #""certificateIdentity":"\#(request.certificateIdentity)","certificateOidcIssuer":"\#(request.certificateOidcIssuer)""#
        let head = #"{"artifactDigest":"\#(request.artifactDigest)",\#(signer),"bundle":"#
        /// A bundle whose log entry list holds `count` empty objects: 4 values besides them.
        func bundle(entries count: Int) -> String {
            #"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"tlogEntries":["#
                + Array(repeating: "{}", count: count).joined(separator: ",") + "]}}"
        }
        let bound = SigstoreBundle.maximumJSONValues
        // At the bound: parsed, and judged by the verifier (too many log entries is a fail verdict).
        let atBound = try VerifyBundleBody.request(Array((head + bundle(entries: bound - 4) + "}").utf8))
        #expect(try service.verify(atBound, source: "request.bundle", runID: RunID("r")).passed == false)
        // Over it: REST's body is refused while it is parsed.
        let overText = head + bundle(entries: VerifyBundleBody.maximumRequestValues) + "}"
        let rest = #expect(throws: RequestError.self) { try VerifyBundleBody.request(Array(overText.utf8)) }
        #expect(rest?.message == "the body holds more than \(bound + 16) JSON values: a bundle holds at most \(bound)", "\(String(describing: rest))")
        // gRPC's Struct: refused before it is converted.
        var message = request
        message.bundleJson = ""
        message.bundle = try Google_Protobuf_Struct(jsonString: bundle(entries: bound))
        let grpc = #expect(throws: RequestError.self) { try service.verify(VerifyBundleInput(message), source: "request.bundle", runID: RunID("r")) }
        #expect(grpc?.message == "bundle holds more than \(bound) JSON values, more than any bundle", "\(String(describing: grpc))")
        // The bundle's text (bundleJson): the verifier's own parse stops, a fail verdict naming the bound.
        var text = request
        text.bundleJson = bundle(entries: bound)
        let verdict = try service.verify(VerifyBundleInput(text), source: "request.bundle", runID: RunID("r"))
        #expect(verdict.passed == false && "\(verdict.failure.map { "\($0)" } ?? "")".contains("more than \(bound) values"))

        let small = "{\"artifactDigest\":\"sha256:\(String(repeating: "a", count: 64))\"}"
        func batch(_ count: Int) -> [UInt8] { Array(("{\"items\":[" + Array(repeating: small, count: count).joined(separator: ",") + "]}").utf8) }
        #expect(try VerifyBundleBody.items(batch(VerifyBundleBody.maximumBatchItems)).count == VerifyBundleBody.maximumBatchItems)
        let many = #expect(throws: RequestError.self) { try VerifyBundleBody.items(batch(VerifyBundleBody.maximumBatchItems + 1)) }
        #expect(
            many?.message.hasPrefix("the batch holds more than \(VerifyBundleBody.maximumBatchItems) items") == true, "\(String(describing: many))")
    }

    @Test("REST bodies the strict parser refuses are answered by the proto3 JSON mapping: the same request or the same error")
    func restBodiesFallingBack() throws {
        func outcome(_ text: String) -> String {
            do {
                let input = try VerifyBundleBody.request(Array(text.utf8))
                return "parsed: \(input.parsedBundle != nil) \(try input.message.jsonString())"
            } catch {
                return "\(error)"
            }
        }
        func whole(_ text: String) -> String {
            do {
                return "parsed: false \(try RESTRoutes.decode(Hephaestus_V1_VerifyBundleRequest.self, from: Array(text.utf8)).jsonString())"
            } catch {
                return "\(error)"
            }
        }
        let digest = #""artifactDigest":"sha256:\#(String(repeating: "a", count: 64))""#
        // Bodies the strict parser refuses, or whose bundle is not an object: decoded whole, as before.
        for text in [
            "{\(digest),\"bundle\":{\"a\":1,\"a\":2}}", "{\(digest),\"bundle\":null}", "{\(digest),\"bundle\":\"text\"}", "{\(digest),", "[]",
            "{\(digest),\(digest)}", "{\(digest),\"bundle\":{},\"certificateIdentity\":1.5}",
        ] {
            #expect(outcome(text) == whole(text), "\(text)")
        }
        // An unknown field beside a bundle object: refused as the whole body would be.
        let unknown = "{\(digest),\"bundle\":{},\"surprise\":1}"
        #expect(outcome(unknown).contains("surprise") || outcome(unknown).contains("unknown"), "\(outcome(unknown))")
        #expect(whole(unknown).hasPrefix("parsed:") == false)
        // bundle and bundleJson together: still refused by the verifier, naming both.
        let item = try #require(Self.cases.first { $0.name == "github_actions_wheel_production" })
        let service = try Self.service(root: item.trustedRoot)
        let signer = #""certificateIdentity":"a","certificateOidcIssuer":"b""#
        let both = try VerifyBundleBody.request(Array("{\(digest),\(signer),\"bundle\":{},\"bundleJson\":\"{}\"}".utf8))
        #expect(throws: RequestError.self) { try service.verify(both, source: "request.bundle", runID: RunID("r")) }
    }
}
