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
    /// Where `--sign` puts the archive's Sigstore bundle.
    public var bundlePath: String { output + ".sigstore.json" }

    /// Why `output` cannot name a wheelhouse archive, or nil when it can.
    public static func outputNameProblem(_ output: String) -> String? {
        let name = URL(fileURLWithPath: output).lastPathComponent
        guard name.hasSuffix(".tar.gz"), name.contains("wheelhouse") else {
            return "the archive must be named NAME-VERSION-wheelhouse.tar.gz (release commands look for *wheelhouse*.tar.gz)"
        }
        return nil
    }

    /// The archive and its manifest written to temporary files beside their destinations, not yet in place: the
    /// caller commits them (with a bundle, when signed) through ``AtomicFileWriter/commit(_:)``, or drops them.
    public final class Staged {
        public let archive: StagedFile
        public let manifest: StagedFile
        public let result: Result

        init(archive: StagedFile, manifest: StagedFile, result: Result) {
            self.archive = archive
            self.manifest = manifest
            self.result = result
        }
    }

    /// Refuses, before anything is written, every output the run would write (the archive, its manifest and, when
    /// `signed`, its bundle) that is not a regular file or exists without `overwrite`.
    public func checkOutputs(signed: Bool) throws {
        if let problem = Self.outputNameProblem(output) {
            throw WheelError.invalidFilename(file: URL(fileURLWithPath: output).lastPathComponent, reason: problem)
        }
        for path in [output, manifestPath] + (signed ? [bundlePath] : []) {
            try AtomicFileWriter.checkDestination(path, overwrite: overwrite)
        }
    }

    /// Checks the wheels and writes the archive and manifest to temporary files (``Staged``).
    public func stage() throws -> Staged {
        try checkOutputs(signed: false)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) else { throw FileError.notFound(path: directory) }
        guard isDirectory.boolValue else { throw FileError.notADirectory(path: directory) }
        let entries = try FileManager.default.contentsOfDirectory(atPath: directory).filter { !$0.hasPrefix(".") }.sorted()
        let strays = try entries.filter { entry in
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: directory + "/" + entry, isDirectory: &isDirectory)
            if isDirectory.boolValue, WheelhouseInspection.isWheelName(entry) { throw WheelError.directoryNamedWheel(path: entry) }
            return !WheelhouseInspection.isWheelName(entry) || isDirectory.boolValue
        }
        guard strays.isEmpty else { throw WheelError.notAWheel(files: strays) }
        guard !entries.isEmpty else { throw WheelError.empty }
        let wheels = try WheelhouseInspection.inspect(wheels: entries.map { directory + "/" + $0 })
        let parent = URL(fileURLWithPath: output).deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        } catch {
            throw FileError.writeFailed(path: parent, reason: "cannot create the directory")
        }
        let archive = try StagedFile(destination: output, overwrite: overwrite)
        try DeterministicTarWriter.write(
            entries.map { DeterministicTarWriter.Member(name: $0, source: directory + "/" + $0) }, to: archive, mtime: mtime)
        let digest = try DigestAlgorithm.sha256.hash(fileAt: archive.temporaryPath)
        let size = try FileStatus.size(of: archive.temporaryPath)
        let manifest = try StagedFile(destination: manifestPath, overwrite: overwrite)
        try manifest.write(Array("\(digest.hex)  \(URL(fileURLWithPath: output).lastPathComponent)\n".utf8))
        return Staged(
            archive: archive, manifest: manifest,
            result: Result(archive: output, sha256: digest.hex, size: size, manifest: manifestPath, wheels: wheels))
    }

    /// Packs and puts the archive and its manifest in place, both or neither.
    public func run() throws -> Result {
        let staged = try stage()
        try AtomicFileWriter.commit([staged.archive, staged.manifest])
        return staged.result
    }
}
