import Foundation
import Testing

/// HephaestusSigstore is the shipped verifier and signer: the local Sigstore *test* instance (HephaestusLocalSigstore)
/// must stay out of it, in code and in comments. The names come from the instance's own declarations, so a type added
/// there is covered without touching this test.
@Suite("Layering")
struct LayeringTests {
    static let sources = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Sources")

    /// The Swift files under `Sources/<module>`, with their text.
    static func swiftFiles(of module: String) throws -> [(path: String, text: String)] {
        let root = sources.appendingPathComponent(module)
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return [] }
        return try walker.compactMap { $0 as? URL }.filter { $0.pathExtension == "swift" }.map { url in
            (String(url.path.dropFirst(sources.path.count + 1)), try String(contentsOf: url, encoding: .utf8))
        }
    }

    /// The types HephaestusLocalSigstore declares for other modules (public or package, at the top level).
    static func instanceTypeNames() throws -> Set<String> {
        let declaration = try Regex(#"^(?:public|package) +(?:final +)?(?:class|struct|enum|protocol|actor|typealias) +([A-Za-z_][A-Za-z0-9_]*)"#)
            .anchorsMatchLineEndings()
        var names: Set<String> = []
        for file in try swiftFiles(of: "HephaestusLocalSigstore") {
            for match in file.text.matches(of: declaration) {
                if let name = match.output[1].substring { names.insert(String(name)) }
            }
        }
        return names
    }

    @Test("nothing under Sources/HephaestusSigstore names the local test instance or its types")
    func sigstoreHoldsNoInstanceCode() throws {
        let declared = try Self.instanceTypeNames()
        // The scan must see the instance, or it would prove nothing.
        let known: Set = [
            "LocalCertificateAuthority", "LocalCertificateTransparencyLog", "LocalInstanceError", "LocalOIDCIssuer",
            "LocalSigstoreRouter", "LocalTimestampAuthority", "LocalTransparencyLog", "MerkleTree", "TransparencyLogStorage",
            "LocalSigstoreInstance",
        ]
        #expect(known.isSubset(of: declared), "not found in Sources/HephaestusLocalSigstore: \(known.subtracting(declared).sorted())")
        let forbidden = declared.union(known).union(["HephaestusLocalSigstore", "LocalSigstore", "fulcioClaims"])
        let files = try Self.swiftFiles(of: "HephaestusSigstore")
        #expect(files.count > 20, "Sources/HephaestusSigstore not found from \(#filePath)")
        let pattern = try Regex("\\b(?:\(forbidden.sorted().joined(separator: "|")))")
        for file in files {
            for (number, line) in file.text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                if let match = line.firstMatch(of: pattern) {
                    Issue.record("\(file.path):\(number + 1) names \(line[match.range]) (test-instance code belongs in HephaestusLocalSigstore)")
                }
            }
        }
    }
}
