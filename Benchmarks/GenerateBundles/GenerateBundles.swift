import Foundation
import HephaestusInventory
import HephaestusPlatform
import HephaestusSigstore
import HephaestusTestSupport

/// Writes a verify-batch workload minted by the virtual Sigstore:
/// DIR/trusted_root.json, DIR/artifacts/N.txt, DIR/bundles/N.sigstore.json and DIR/list.jsonl.
///
///     hephaestus-bench-bundles --count 10000 --dir bench/work/bundles
///     hephaestus-bench-bundles --count 10000 --dir bench/work/public-good --shape public-good [--intermediate-key ecdsa-p256]
///
/// `--shape public-good` mints bundles shaped like the public-good instance's: a leaf issued by an intermediate
/// with a P-384 key (ECDSA-SHA384, as Fulcio's) that chains to the root, GitHub Actions workflow identity and claims,
/// an embedded SCT, a Rekor v1 entry with SET, inclusion proof and checkpoint. Every bundle has its own leaf.
///     hephaestus-bench-bundles --count 10000 --dir bench/work/inventory --inventory   (an inventory database instead)
@main
struct GenerateBundles {
    static func main() throws {
        var count = 10_000
        var directory = "bench/work/bundles"
        var signFile: String?
        var identity = "https://github.com/octo/wheels/.github/workflows/release.yml@refs/tags/v1.0.0"
        var inventory = false
        var publicGoodShape = false
        var intermediateKey = PrivateKey.Algorithm.ecdsaP384
        var arguments = CommandLine.arguments.dropFirst()
        while let argument = arguments.popFirst() {
            switch argument {
            case "--count": count = Int(arguments.popFirst() ?? "") ?? count
            case "--dir": directory = arguments.popFirst() ?? directory
            case "--sign-file": signFile = arguments.popFirst()
            case "--identity": identity = arguments.popFirst() ?? identity
            case "--inventory": inventory = true
            case "--shape": publicGoodShape = arguments.popFirst() == "public-good"
            case "--intermediate-key": intermediateKey = PrivateKey.Algorithm(rawValue: arguments.popFirst() ?? "") ?? intermediateKey
            default:
                print(
                    "usage: hephaestus-bench-bundles [--count N] [--dir DIR] [--shape public-good [--intermediate-key ecdsa-p256|ecdsa-p384]] | --sign-file FILE --dir DIR [--identity URI]"
                )
                return
            }
        }
        if let signFile {
            // One signed artefact: FILE.sigstore.json and DIR/trusted_root.json (GitHub Actions issuer).
            let sigstore = try VirtualSigstore(name: "bench.sigstore.test")
            var options = VirtualSigstore.Options()
            options.identity = .uri(identity)
            options.issuer = "https://token.actions.githubusercontent.com"
            let bytes = try FileReader.contents(of: signFile, limit: 8 << 30)
            try Data(try sigstore.sign(bytes, options: options).json).write(to: URL(fileURLWithPath: signFile + ".sigstore.json"))
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Data(sigstore.trustedRootJSON).write(to: URL(fileURLWithPath: "\(directory)/trusted_root.json"))
            print("signed \(signFile)")
            return
        }
        if inventory {
            try writeInventory(count: count, directory: directory)
            return
        }
        let manager = FileManager.default
        try? manager.removeItem(atPath: directory)
        for sub in ["artifacts", "bundles"] {
            try manager.createDirectory(atPath: "\(directory)/\(sub)", withIntermediateDirectories: true)
        }
        let sigstore = try VirtualSigstore(
            name: "bench.sigstore.test", intermediateAlgorithm: publicGoodShape ? intermediateKey : .ecdsaP256)
        try Data(sigstore.trustedRootJSON).write(to: URL(fileURLWithPath: "\(directory)/trusted_root.json"))
        var options = VirtualSigstore.Options()
        if publicGoodShape {
            options.identity = .uri(identity)
            options.issuer = "https://token.actions.githubusercontent.com"
            options.leaf = { request in request.claims = githubClaims(workflow: identity) }
        }
        var list = ""
        for index in 0..<count {
            let artifact = Array("benchmark artifact \(index)\n".utf8)
            try Data(artifact).write(to: URL(fileURLWithPath: "\(directory)/artifacts/\(index).txt"))
            try Data(try sigstore.sign(artifact, options: options).json).write(
                to: URL(fileURLWithPath: "\(directory)/bundles/\(index).sigstore.json"))
            list +=
                #"{"bundle":"bundles/\#(index).sigstore.json","artifact":"artifacts/\#(index).txt","identity":"\#(options.identity.value)","issuer":"\#(options.issuer)"}"#
                + "\n"
        }
        try Data(list.utf8).write(to: URL(fileURLWithPath: "\(directory)/list.jsonl"))
        print("wrote \(count) bundles to \(directory)")
    }

    /// The Fulcio extensions (1.3.6.1.4.1.57264.1.9–.22) of a GitHub Actions release workflow run for `workflow`
    /// (`https://github.com/OWNER/REPO/.github/workflows/FILE@REF`).
    static func githubClaims(workflow: String) -> [String: String] {
        let repository = workflow.components(separatedBy: "/.github/").first ?? workflow
        let ref = workflow.components(separatedBy: "@").last ?? "refs/heads/main"
        let sha = String(repeating: "5e1f", count: 10)
        let values: [Int: String] = [
            9: workflow, 10: sha, 11: "github-hosted", 12: repository, 13: sha, 14: ref, 15: "123456789",
            16: repository.components(separatedBy: "/").dropLast().joined(separator: "/"), 17: "987654321", 18: workflow, 19: sha,
            20: "push", 21: "\(repository)/actions/runs/1234567890/attempts/1", 22: "public",
        ]
        return Dictionary(uniqueKeysWithValues: values.map { ("1.3.6.1.4.1.57264.1.\($0.key)", $0.value) })
    }

    /// DIR/inventory.sqlite with COUNT signed assets (100 per release) and DIR/trusted_root.json.
    static func writeInventory(count: Int, directory: String) throws {
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let sigstore = try VirtualSigstore(name: "bench.sigstore.test")
        try Data(sigstore.trustedRootJSON).write(to: URL(fileURLWithPath: "\(directory)/trusted_root.json"))
        let store = try InventoryStore(path: "\(directory)/inventory.sqlite")
        let repository = try store.repositoryID("bench/wheels")
        let assessment = BundleAssessment(verifier: try sigstore.verifier())
        var releaseID: Int64 = 0
        for index in 0..<count {
            if index % 100 == 0 {
                let number = index / 100
                releaseID = try store.upsertRelease(
                    repositoryID: repository, githubID: Int64(number + 1), tag: "v\(number).0.0",
                    publishedAt: "2025-\(String(format: "%02d", number % 12 + 1))-01T00:00:00Z", draft: false, prerelease: false)
            }
            let artifact = Array("benchmark artifact \(index)\n".utf8)
            let digest = DigestAlgorithm.sha256.hash(artifact)
            let minted = try sigstore.sign(artifact).json
            let (assetID, _) = try store.recordAsset(
                releaseID: releaseID, name: "bench-\(index).whl", githubID: Int64(index + 1000), size: Int64(artifact.count), updatedAt: nil,
                sha256: digest.hex, manifestVerdict: .match)
            try store.recordBundle(
                assessment.record(
                    assetID: assetID, bundleAssetName: "bench-\(index).whl.sigstore.json", bundleGitHubID: nil, content: minted,
                    outcome: assessment.assess(bundle: minted, sha256: digest.hex)))
        }
        print("wrote an inventory of \(count) signed assets to \(directory)/inventory.sqlite")
    }
}
