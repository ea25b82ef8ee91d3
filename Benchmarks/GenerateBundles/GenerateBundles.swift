import Foundation
import HephaestusPlatform
import HephaestusSigstore
import HephaestusTestSupport

/// Writes a verify-batch workload minted by the virtual Sigstore:
/// DIR/trusted_root.json, DIR/artifacts/N.txt, DIR/bundles/N.sigstore.json and DIR/list.jsonl.
///
///     hephaestus-bench-bundles --count 10000 --dir bench/work/bundles
@main
struct GenerateBundles {
    static func main() throws {
        var count = 10_000
        var directory = "bench/work/bundles"
        var arguments = CommandLine.arguments.dropFirst()
        while let argument = arguments.popFirst() {
            switch argument {
            case "--count": count = Int(arguments.popFirst() ?? "") ?? count
            case "--dir": directory = arguments.popFirst() ?? directory
            default:
                print("usage: hephaestus-bench-bundles [--count N] [--dir DIR]")
                return
            }
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
            list += #"{"bundle":"bundles/\#(index).sigstore.json","artifact":"artifacts/\#(index).txt","identity":"signer@example.com","issuer":"https://issuer.example.com"}"# + "\n"
        }
        try Data(list.utf8).write(to: URL(fileURLWithPath: "\(directory)/list.jsonl"))
        print("wrote \(count) bundles to \(directory)")
    }
}
