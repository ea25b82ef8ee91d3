import Foundation
import HephaestusPlatform

/// `wheelhouse pack`: a reproducible `.tar.gz` of the wheels in a directory (each checked: file name, METADATA,
/// RECORD hashes), with its sha256sum-format manifest beside it. The same wheels give the same bytes.
public struct WheelhousePack: Sendable {
    public struct Result: Codable, Sendable, Equatable {
        public let archive: String
        public let sha256: String
        public let size: Int64
        public let manifest: String
        public let wheels: [InspectedWheel]
    }

    public let directory: String
    public let output: String
    public let overwrite: Bool
    /// The mtime of every entry: `SOURCE_DATE_EPOCH` when set (as reproducible builds expect), else 0.
    public let mtime: Int

    /// `environment` is where `SOURCE_DATE_EPOCH` is read (the run's environment).
    public init(directory: String, output: String, overwrite: Bool, environment: [String: String]) {
        self.directory = directory
        self.output = output
        self.overwrite = overwrite
        mtime = environment["SOURCE_DATE_EPOCH"].flatMap { Int($0) } ?? 0
    }

    public var manifestPath: String { output + ".sha256" }

    /// Why `output` cannot name a wheelhouse archive, or nil when it can.
    public static func outputNameProblem(_ output: String) -> String? {
        let name = URL(fileURLWithPath: output).lastPathComponent
        guard name.hasSuffix(".tar.gz"), name.contains("wheelhouse") else {
            return "the archive must be named NAME-VERSION-wheelhouse.tar.gz (release commands look for *wheelhouse*.tar.gz)"
        }
        return nil
    }

    public func run() throws -> Result {
        let name = URL(fileURLWithPath: output).lastPathComponent
        if let problem = Self.outputNameProblem(output) {
            throw WheelError.invalidFilename(file: name, reason: problem)
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else { throw FileError.notFound(path: directory) }
        guard isDirectory.boolValue else { throw FileError.notADirectory(path: directory) }
        if !overwrite {
            for existing in [output, manifestPath] where FileManager.default.fileExists(atPath: existing) {
                throw FileError.alreadyExists(path: existing)
            }
        }
        let entries = try FileManager.default.contentsOfDirectory(atPath: directory).filter { !$0.hasPrefix(".") }.sorted()
        let strays = entries.filter { entry in
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: directory + "/" + entry, isDirectory: &isDirectory)
            return !entry.hasSuffix(".whl") || isDirectory.boolValue
        }
        guard strays.isEmpty else { throw WheelError.notAWheel(files: strays) }
        guard !entries.isEmpty else { throw WheelError.empty }
        let wheels = try WheelhouseInspection.inspect(wheels: entries.map { directory + "/" + $0 })
        try DeterministicTarWriter.write(
            entries.map { DeterministicTarWriter.Member(name: $0, source: directory + "/" + $0) }, to: output, mtime: mtime, overwrite: overwrite)
        let digest = try DigestAlgorithm.sha256.hash(fileAt: output)
        try AtomicFileWriter.write(Array("\(digest.hex)  \(name)\n".utf8), to: manifestPath, overwrite: true)
        let size = try FileStatus.size(of: output)
        return Result(archive: output, sha256: digest.hex, size: size, manifest: manifestPath, wheels: wheels)
    }
}
