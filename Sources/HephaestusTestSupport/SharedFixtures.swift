import Foundation

/// Genuine public-good Sigstore material in `../shared/fixtures` (beside the project root, also in CI).
/// Tests that need it are disabled with a clear message when it is absent.
public enum SharedFixtures {
    /// `../shared/fixtures`, resolved from this source file's location.
    public static var directory: URL {
        URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent()  // Sources/HephaestusTestSupport
            .deletingLastPathComponent()  // Sources
            .deletingLastPathComponent()  // the project root
            .deletingLastPathComponent()  // its parent, which holds shared/
            .appendingPathComponent("shared/fixtures")
    }

    public static var sigstorePython: URL { directory.appendingPathComponent("sigstore-python") }

    public static var isAvailable: Bool {
        FileManager.default.fileExists(atPath: sigstorePython.appendingPathComponent("cases.json").path)
    }

    public static let absenceMessage = "../shared/fixtures is absent: genuine public-good bundle cases skipped"

    /// One case of `sigstore-python/cases.json`.
    public struct SigstorePythonCase: Sendable, CustomTestStringConvertibleShim {
        public let name: String
        public let bundle: String
        public let artifact: String
        public let trustedRoot: String
        public let identity: String
        public let issuer: String
        public let expect: String
        public let reason: String
        public var testDescription: String { name }
    }

    /// The cases, or none when the fixtures are absent.
    public static let sigstorePythonCases: [SigstorePythonCase] = {
        guard isAvailable,
            let data = try? Data(contentsOf: sigstorePython.appendingPathComponent("cases.json")),
            let array = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]]
        else { return [] }
        return array.compactMap { item in
            guard let name = item["name"] as? String, let bundle = item["bundle"] as? String,
                let artifact = item["artifact"] as? String, let root = item["trusted_root"] as? String,
                let identity = item["identity"] as? String, let issuer = item["issuer"] as? String,
                let expect = item["expect"] as? String
            else { return nil }
            return SigstorePythonCase(
                name: name, bundle: bundle, artifact: artifact, trustedRoot: root, identity: identity, issuer: issuer,
                expect: expect, reason: item["reason"] as? String ?? "")
        }
    }()
}

/// Lets test targets show a case by name without importing Testing here.
public protocol CustomTestStringConvertibleShim {
    var testDescription: String { get }
}
