import Foundation
import HephaestusPlatform

/// A wheel that passed inspection.
public struct InspectedWheel: Sendable, Codable, Equatable {
    public let file: String
    public let name: String
    public let version: String
    public let sha256: String
}

/// Checks one wheel: its file name, that it is a readable zip with safe entry names, that its `.dist-info` holds
/// `WHEEL`, `METADATA` and `RECORD`, that METADATA names the same distribution and version as the file name, and
/// that every file's SHA-256 and size match RECORD, with nothing unlisted and nothing listed but absent.
public enum WheelInspector {
    /// Wheels are read entry by entry; any one entry above this is refused.
    public static let maximumEntryBytes: Int64 = 1 << 30

    public static func inspect(_ path: String) throws -> InspectedWheel {
        let file = URL(fileURLWithPath: path).lastPathComponent
        let filename = try WheelFilename(file)
        var digests: [String: (digest: String, size: Int64)] = [:]
        var small: [String: [UInt8]] = [:]
        let reader: ArchiveReader
        do {
            reader = try ArchiveReader(path: path)
        } catch {
            throw WheelError.unreadable(file: file, reason: "\(error)")
        }
        do {
            while let entry = try reader.nextEntry() {
                let name = try ArchiveEntryName.components(entry.path).joined(separator: "/")
                switch entry.kind {
                case .directory: continue
                case .regularFile: break
                default: throw WheelError.unreadable(file: file, reason: "entry \(entry.path.debugDescription) is not a regular file")
                }
                guard digests[name] == nil else { throw WheelError.unreadable(file: file, reason: "duplicate entry \(name)") }
                let hasher = StreamingHasher(algorithm: .sha256)
                var keep: [UInt8]? =
                    name.hasSuffix(".dist-info/RECORD") || name.hasSuffix(".dist-info/METADATA") || name.hasSuffix(".dist-info/WHEEL") ? [] : nil
                let size = try reader.readData { chunk in
                    hasher.update(chunk)
                    if keep != nil, keep!.count < 16 << 20 { keep!.append(contentsOf: chunk) }
                }
                guard size <= maximumEntryBytes else { throw WheelError.unreadable(file: file, reason: "entry \(name) is larger than 1 GiB") }
                digests[name] = ("sha256=" + Base64.encode(hasher.finalize().bytes, alphabet: .urlSafe), size)
                if let keep { small[name] = keep }
            }
        } catch let error as WheelError {
            throw error
        } catch {
            throw WheelError.unreadable(file: file, reason: "\(error)")
        }
        guard reader.isZip || digests.isEmpty else { throw WheelError.unreadable(file: file, reason: "not a zip archive") }

        let distInfoDirectories = Set(digests.keys.compactMap { $0.split(separator: "/").first }.filter { $0.hasSuffix(".dist-info") })
        let expected = WheelFilename.normalize("\(filename.distribution)-\(filename.version)")
        guard let distInfo = distInfoDirectories.first(where: { WheelFilename.normalize(String($0.dropLast(10))) == expected }) else {
            throw WheelError.missingMetadata(file: file, missing: "\(filename.distribution)-\(filename.version).dist-info/")
        }
        for required in ["WHEEL", "METADATA", "RECORD"] where small["\(distInfo)/\(required)"] == nil {
            throw WheelError.missingMetadata(file: file, missing: "\(distInfo)/\(required)")
        }
        try checkMetadata(small["\(distInfo)/METADATA"]!, filename: filename, file: file)
        try checkRecord(small["\(distInfo)/RECORD"]!, digests: digests, recordPath: "\(distInfo)/RECORD", file: file)
        return InspectedWheel(
            file: file, name: filename.distribution, version: filename.version, sha256: try DigestAlgorithm.sha256.hash(fileAt: path).hex)
    }

    static func checkMetadata(_ bytes: [UInt8], filename: WheelFilename, file: String) throws {
        var name: String?
        var version: String?
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) {
            if line.isEmpty { break }
            if line.hasPrefix("Name:") { name = line.dropFirst(5).trimmingCharacters(in: .whitespaces) }
            if line.hasPrefix("Version:") { version = line.dropFirst(8).trimmingCharacters(in: .whitespaces) }
        }
        guard let name, let version else { throw WheelError.missingMetadata(file: file, missing: "Name or Version in METADATA") }
        guard WheelFilename.normalize(name) == WheelFilename.normalize(filename.distribution) else {
            throw WheelError.metadataMismatch(file: file, reason: "METADATA names \(name), the file name says \(filename.distribution)")
        }
        guard version == filename.version || version.replacingOccurrences(of: "-", with: "_") == filename.version else {
            throw WheelError.metadataMismatch(file: file, reason: "METADATA says version \(version), the file name says \(filename.version)")
        }
    }

    static func checkRecord(_ bytes: [UInt8], digests: [String: (digest: String, size: Int64)], recordPath: String, file: String) throws {
        var listed = Set<String>()
        for row in CSVRows.parse(String(decoding: bytes, as: UTF8.self)) where !row.isEmpty && !(row.count == 1 && row[0].isEmpty) {
            guard row.count >= 1, let path = try? ArchiveEntryName.components(row[0]).joined(separator: "/") else {
                throw WheelError.recordMismatch(file: file, entry: row.first ?? "", reason: "unsafe or empty path in RECORD")
            }
            listed.insert(path)
            let hash = row.count > 1 ? row[1] : ""
            let size = row.count > 2 ? row[2] : ""
            if path == recordPath || path.hasSuffix(".dist-info/RECORD.jws") || path.hasSuffix(".dist-info/RECORD.p7s") {
                continue
            }
            guard let actual = digests[path] else {
                throw WheelError.recordMismatch(file: file, entry: path, reason: "listed in RECORD but absent from the wheel")
            }
            guard hash.hasPrefix("sha256=") || hash.hasPrefix("sha384=") || hash.hasPrefix("sha512=") else {
                throw WheelError.recordMismatch(
                    file: file, entry: path,
                    reason: "no sha256 hash in RECORD (\(hash.isEmpty ? "empty" : hash.split(separator: "=").first.map(String.init) ?? hash))")
            }
            guard hash.hasPrefix("sha256=") else {
                throw WheelError.recordMismatch(
                    file: file, entry: path, reason: "only sha256 RECORD hashes are checked; found \(hash.split(separator: "=")[0])")
            }
            guard withoutPadding(hash) == withoutPadding(actual.digest) else {
                throw WheelError.recordMismatch(file: file, entry: path, reason: "hash \(hash) does not match the content (\(actual.digest))")
            }
            if !size.isEmpty, Int64(size) != actual.size {
                throw WheelError.recordMismatch(file: file, entry: path, reason: "size \(size) in RECORD, \(actual.size) in the wheel")
            }
        }
        for path in digests.keys where !listed.contains(path) && !path.hasSuffix(".dist-info/RECORD.jws") && !path.hasSuffix(".dist-info/RECORD.p7s")
        {
            throw WheelError.recordMismatch(file: file, entry: path, reason: "present in the wheel but not listed in RECORD")
        }
    }
}

/// A RECORD hash without trailing Base64 padding (`sha256=…=` and `sha256=…` name the same digest).
private func withoutPadding(_ hash: String) -> Substring {
    var trimmed = hash[...]
    while trimmed.last == "=" { trimmed = trimmed.dropLast() }
    return trimmed
}

/// Minimal RFC 4180 CSV rows (RECORD files): commas, double-quoted fields with "" escapes.
public enum CSVRows {
    public static func parse(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var iterator = Array(text.unicodeScalars).makeIterator()
        var pending: Unicode.Scalar?
        while let scalar = pending ?? iterator.next() {
            pending = nil
            if quoted {
                if scalar == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" {
                            field.unicodeScalars.append("\"")
                        } else {
                            quoted = false
                            pending = next
                        }
                    } else {
                        quoted = false
                    }
                } else {
                    field.unicodeScalars.append(scalar)
                }
                continue
            }
            switch scalar {
            case "\"": quoted = true
            case ",":
                row.append(field)
                field = ""
            case "\r": continue
            case "\n":
                row.append(field)
                rows.append(row)
                row = []
                field = ""
            default: field.unicodeScalars.append(scalar)
            }
        }
        if !field.isEmpty || !row.isEmpty {
            row.append(field)
            rows.append(row)
        }
        return rows
    }
}
