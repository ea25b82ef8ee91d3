import Foundation
import HephaestusPlatform

/// A distribution about to be uploaded, validated as `twine check` and PyPI would: file name rules (PEP 427 wheels,
/// PEP 625 `NAME-VERSION.tar.gz` sdists), a readable archive (wheels: RECORD hashes too), core metadata with a known
/// Metadata-Version, Name and Version agreeing with the file name, a one-line Summary, and a long description that
/// renders for its content type.
public struct Distribution: Sendable {
    public enum Kind: String, Sendable, Encodable {
        case wheel = "bdist_wheel"
        case sdist
    }

    public let path: String
    public let filename: String
    public let kind: Kind
    public let name: String
    public let version: String
    /// `pyversion` of the upload form: the wheel's python tag, `source` for sdists.
    public let pythonVersion: String
    public let metadata: CoreMetadata
    public let size: Int64
    public let sha256: Digest
    public let blake2b256: [UInt8]
    /// Non-fatal remarks (e.g. no long description), as `twine check` warns.
    public let warnings: [String]

    public static func inspect(_ path: String) throws -> Distribution {
        let filename = URL(fileURLWithPath: path).lastPathComponent
        func invalid(_ reason: String) -> PublishError {
            // Errors of the wheel checks already name the file; say it once.
            .invalidDistribution(file: filename, reason: reason.hasPrefix(filename + ": ") ? String(reason.dropFirst(filename.count + 2)) : reason)
        }
        guard FileManager.default.isReadableFile(atPath: path) else { throw FileError.notFound(path: path) }
        let kind: Kind
        let name: String
        let version: String
        let pythonVersion: String
        let metadataBytes: [UInt8]
        if filename.hasSuffix(".whl") {
            let parsed: WheelFilename
            do { parsed = try WheelFilename(filename) } catch { throw invalid("\(error)") }
            do { _ = try WheelInspector.inspect(path) } catch { throw invalid("\(error)") }
            kind = .wheel
            (name, version, pythonVersion) = (parsed.distribution, parsed.version, parsed.pythonTag)
            guard let bytes = try Self.member(of: path, where: { $0.hasSuffix(".dist-info/METADATA") && $0.split(separator: "/").count == 2 }) else {
                throw invalid("no .dist-info/METADATA")
            }
            metadataBytes = bytes
        } else if filename.hasSuffix(".tar.gz") {
            let stem = String(filename.dropLast(".tar.gz".count))
            guard let dash = stem.lastIndex(of: "-"), dash != stem.startIndex else {
                throw invalid("an sdist is named NAME-VERSION.tar.gz (PEP 625)")
            }
            name = String(stem[..<dash])
            version = String(stem[stem.index(after: dash)...])
            guard !version.isEmpty, version.first!.isNumber || version.first == "v",
                name.allSatisfy({ $0.isLetter || $0.isNumber || "._".contains($0) }), name.allSatisfy(\.isASCII)
            else { throw invalid("an sdist is named NAME-VERSION.tar.gz with a normalised name (PEP 625)") }
            kind = .sdist
            pythonVersion = "source"
            guard let bytes = try Self.member(of: path, where: { $0 == "\(stem)/PKG-INFO" }) else { throw invalid("no \(stem)/PKG-INFO") }
            metadataBytes = bytes
        } else {
            throw invalid("neither a wheel (.whl) nor an sdist (.tar.gz)")
        }
        let metadata = CoreMetadata(String(decoding: metadataBytes, as: UTF8.self))
        guard let metadataVersion = metadata.value("Metadata-Version") else { throw invalid("no Metadata-Version") }
        guard CoreMetadata.knownVersions.contains(metadataVersion) else { throw invalid("unknown Metadata-Version \(metadataVersion)") }
        guard let declaredName = metadata.value("Name"), !declaredName.isEmpty else { throw invalid("no Name in the metadata") }
        guard WheelFilename.normalize(declaredName) == WheelFilename.normalize(name) else {
            throw invalid("the metadata names \(declaredName), the file name \(name)")
        }
        guard let declaredVersion = metadata.value("Version"), !declaredVersion.isEmpty else { throw invalid("no Version in the metadata") }
        guard declaredVersion == version || declaredVersion.replacingOccurrences(of: "-", with: "_") == version else {
            throw invalid("the metadata says version \(declaredVersion), the file name \(version)")
        }
        if let summary = metadata.value("Summary"), summary.contains("\n") { throw invalid("Summary spans several lines") }
        var warnings: [String] = []
        if let description = metadata.description {
            if let problem = DescriptionCheck.problem(in: description, contentType: metadata.descriptionContentType) {
                throw invalid("the long description does not render (\(metadata.descriptionContentType)): \(problem)")
            }
        } else {
            warnings.append("\(filename): no long description")
        }
        if metadata.value("Description-Content-Type") == nil, metadata.description != nil {
            warnings.append("\(filename): no Description-Content-Type; it is rendered as reStructuredText")
        }
        let sha = StreamingHasher(algorithm: .sha256)
        var blake = BLAKE2b(digestLength: 32)
        var size: Int64 = 0
        try FileReader(path: path).forEachChunk { chunk in
            sha.update(chunk)
            blake.update(chunk)
            size += Int64(chunk.count)
        }
        return Distribution(
            path: path, filename: filename, kind: kind, name: declaredName, version: declaredVersion, pythonVersion: pythonVersion,
            metadata: metadata, size: size, sha256: sha.finalize(), blake2b256: blake.finalize(), warnings: warnings)
    }

    /// Inspects every path, spread over the cores; the results keep the input order, and the error reported is the
    /// one of the first invalid path in that order (the same as inspecting one after another would report: paths are
    /// taken in order, so every path before a failed one has been inspected).
    public static func inspectAll(_ paths: [String], jobs: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> [Distribution] {
        try ParallelMap.mapThrowing(paths, jobs: jobs, stopAtFirstFailure: true, inspect)
    }

    /// The bytes of the first archive member whose path satisfies `matches` (at most 16 MiB).
    static func member(of path: String, where matches: (String) -> Bool) throws -> [UInt8]? {
        let reader: ArchiveReader
        do { reader = try ArchiveReader(path: path) } catch {
            throw PublishError.invalidDistribution(file: URL(fileURLWithPath: path).lastPathComponent, reason: "\(error)")
        }
        while let entry = try reader.nextEntry() {
            guard entry.kind == .regularFile, matches(entry.path) else { continue }
            var bytes: [UInt8] = []
            _ = try reader.readData { chunk in
                guard bytes.count < 16 << 20 else { return }
                bytes.append(contentsOf: chunk)
            }
            return bytes
        }
        return nil
    }
}
