import Foundation
import HephaestusInventory
import HephaestusPlatform
import HephaestusSigstore
import HephaestusTestSupport

/// Writes a verify-batch workload minted by the virtual Sigstore:
/// DIR/trusted_root.json, DIR/artifacts/N.txt, DIR/bundles/N.sigstore.json and DIR/list.jsonl.
///
///     hephaestus-bench-bundles --count 10000 --dir bench/work/bundles
///     hephaestus-bench-bundles --count 10000 --dir bench/work/inventory --inventory   (an inventory database instead)
@main
struct GenerateBundles {
    static func main() throws {
        var count = 10_000
        var directory = "bench/work/bundles"
        var signFile: String?
        var identity = "https://github.com/octo/wheels/.github/workflows/release.yml@refs/tags/v1.0.0"
        var inventory = false
        var arguments = CommandLine.arguments.dropFirst()
        while let argument = arguments.popFirst() {
            switch argument {
            case "--count": count = Int(arguments.popFirst() ?? "") ?? count
            case "--dir": directory = arguments.popFirst() ?? directory
            case "--sign-file": signFile = arguments.popFirst()
            case "--identity": identity = arguments.popFirst() ?? identity
            case "--inventory": inventory = true
            default:
                print("usage: hephaestus-bench-bundles [--count N] [--dir DIR] | --sign-file FILE --dir DIR [--identity URI]")
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
        let sigstore = try VirtualSigstore(name: "bench.sigstore.test")
        try Data(sigstore.trustedRootJSON).write(to: URL(fileURLWithPath: "\(directory)/trusted_root.json"))
        var list = ""
        for index in 0..<count {
            let artifact = Array("benchmark artifact \(index)\n".utf8)
            try Data(artifact).write(to: URL(fileURLWithPath: "\(directory)/artifacts/\(index).txt"))
            try Data(try sigstore.sign(artifact).json).write(to: URL(fileURLWithPath: "\(directory)/bundles/\(index).sigstore.json"))
            list +=
                #"{"bundle":"bundles/\#(index).sigstore.json","artifact":"artifacts/\#(index).txt","identity":"signer@example.com","issuer":"https://issuer.example.com"}"#
                + "\n"
        }
        try Data(list.utf8).write(to: URL(fileURLWithPath: "\(directory)/list.jsonl"))
        print("wrote \(count) bundles to \(directory)")
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
