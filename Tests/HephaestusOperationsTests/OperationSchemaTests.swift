import Foundation
import HephaestusCore
import HephaestusOperations
import HephaestusSigstore
import Testing

/// The schemas read from the operations' Swift types.
@Suite("operation schema")
struct OperationSchemaTests {
    @Test("every registered operation's request, report and items are read from their types, in registry order")
    func everyOperationProbes() {
        #expect(OperationSchema.failures == [])
        #expect(OperationSchema.all.map(\.descriptor) == OperationRegistry.descriptors)
    }

    @Test("a request schema lists the request's members, which are required unless they have a default")
    func requestSchema() throws {
        let schema = try #require(OperationSchema.requestSchema(for: "digest.files"))
        #expect(schema.member("$schema") == "https://json-schema.org/draft/2020-12/schema")
        #expect(schema.member("required") == ["files"])
        // Optional (decodeIfPresent): absent, or null as a document writing every member writes it.
        #expect(schema.member("properties")?.member("algorithm") == ["type": ["string", "null"], "enum": ["sha256", "sha384", "sha512", .null]])
        #expect(schema.member("properties")?.member("files") == ["type": "array", "items": ["type": "string"]])
        #expect(schema.member("additionalProperties") == false)
        #expect(OperationSchema.requestSchema(for: "no.such") == nil)
    }

    @Test("a report schema is its --json document: the operation's own media type and a run id, then the report's members")
    func reportSchema() throws {
        let schema = try #require(OperationSchema.reportSchema(for: "trust.show"))
        #expect(schema.member("properties")?.member("mediaType") == ["type": "string", "const": .string(MediaType.trustReport)])
        #expect(schema.member("properties")?.member("runId") == ["type": "string"])
        guard case .array(let required)? = schema.member("required") else {
            Issue.record("no required members")
            return
        }
        #expect(required.prefix(2) == ["mediaType", "runId"])
        #expect(OperationSchema.named("verify.batch")?.item != nil, "verify batch streams its lines")
        #expect(OperationSchema.named("trust.show")?.item == nil)
    }
}
