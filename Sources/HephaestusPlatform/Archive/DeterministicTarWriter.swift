internal import CArchive
import Foundation

/// Writes a reproducible `.tar.gz`: POSIX pax (restricted) entries in the order given, every entry a regular file
/// with mode 0644, uid/gid 0, no owner names, one fixed mtime, and a gzip header without a timestamp — so the same
/// inputs give the same bytes on any machine. The archive is written to a ``StagedFile``, which the caller commits
/// (``AtomicFileWriter``) only when everything that goes with it is ready.
public enum DeterministicTarWriter {
    /// One archive member: its name inside the archive and the file its bytes come from.
    public struct Member: Sendable {
        public let name: String
        public let source: String

        public init(name: String, source: String) {
            self.name = name
            self.source = source
        }
    }

    public static func write(_ members: [Member], to file: StagedFile, mtime: Int = 0) throws {
        let path = file.path
        try SharedLibrary.archive.load()
        guard let archive = archive_write_new() else { fatalError("archive_write_new: out of memory") }
        defer { archive_write_free(archive) }
        func check(_ status: Int32, _ operation: String) throws {
            guard status == ARCHIVE_OK else {
                throw ArchiveError.writeFailed(
                    path: path, reason: "\(operation): \(archive_error_string(archive).map { String(cString: $0) } ?? "libarchive error")")
            }
        }
        try check(archive_write_set_format_pax_restricted(archive), "pax format")
        try check(archive_write_add_filter_gzip(archive), "gzip filter")
        try check(archive_write_set_options(archive, "gzip:!timestamp"), "gzip options")
        try check(archive_write_open_fd(archive, file.descriptor), "open")
        for member in members {
            let reader = try FileReader(path: member.source)
            let size = try FileStatus.size(of: member.source)
            guard let entry = archive_entry_new() else { fatalError("archive_entry_new: out of memory") }
            defer { archive_entry_free(entry) }
            archive_entry_set_pathname_utf8(entry, member.name)
            archive_entry_set_filetype(entry, hp_AE_IFREG)
            archive_entry_set_perm(entry, 0o644)
            archive_entry_set_size(entry, size)
            archive_entry_set_uid(entry, 0)
            archive_entry_set_gid(entry, 0)
            archive_entry_set_mtime(entry, mtime, 0)
            try check(archive_write_header(archive, entry), "header of \(member.name)")
            var written: Int64 = 0
            try reader.forEachChunk { chunk in
                let count = archive_write_data(archive, chunk.baseAddress, chunk.count)
                guard count == chunk.count else {
                    throw ArchiveError.writeFailed(
                        path: path, reason: "data of \(member.name): \(archive_error_string(archive).map { String(cString: $0) } ?? "short write")")
                }
                written += Int64(count)
            }
            guard written == size else { throw ArchiveError.writeFailed(path: path, reason: "\(member.source) changed size while being archived") }
        }
        try check(archive_write_close(archive), "close")
    }
}
