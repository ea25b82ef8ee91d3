internal import CArchive
import Foundation

/// One archive entry's header, as libarchive reports it.
public struct ArchiveEntry: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case regularFile
        case directory
        case symbolicLink(target: String)
        case hardLink(target: String)
        case characterDevice
        case blockDevice
        case fifo
        case socket
        case unknown(UInt32)
    }

    /// The raw path as stored, UTF-8 decoded: for zip, the central directory's (which may hold a NUL); for tar,
    /// libarchive's (cut at a NUL, which is why ``TarBlockWalker`` refuses pax names that hold one).
    public let path: String
    public let kind: Kind
    /// The declared size, when the format records one.
    public let size: Int64?
    public let permissions: UInt32
    /// Offset of the entry's header in the uncompressed stream.
    public let headerPosition: Int64
}

/// Sequential reading of tar, tar.gz and zip archives through libarchive; owns its `struct archive`.
public final class ArchiveReader {
    public enum Format: Sendable {
        /// tar (with or without gzip) or zip, whichever the bytes are.
        case tarOrZip
    }

    private let handle: OpaquePointer
    public let path: String
    private var finished = false
    /// For tar and tar.gz: the raw (decompressed) stream the tar reader pulls from, audited as it passes.
    private let source: RawStreamSource?
    /// For zip: the central directory, checked against the local headers before the first entry is read.
    private let zip: ZipCentralDirectory?
    /// For zip: how many entries were read, and the current one's record.
    private var zipIndex = 0
    private var zipRecord: ZipCentralDirectory.Record?

    public init(path: String, format: Format = .tarOrZip) throws {
        // Missing files, directories and FIFOs get the usual file errors before libarchive sees them.
        let magic = Array(try FileReader(path: path).readChunk(size: 4) ?? [])
        try SharedLibrary.archive.load()
        guard let handle = archive_read_new() else { fatalError("archive_read_new: out of memory") }
        self.handle = handle
        self.path = path
        if magic.starts(with: [0x50, 0x4B]) {
            // zip: the seekable reader (central directory), after ZipCentralDirectory has checked the local headers.
            source = nil
            zip = try ZipCentralDirectory(path: path)
            archive_read_support_format_zip_seekable(handle)
            guard archive_read_open_filename(handle, NativePath.cString(path), 1 << 16) == ARCHIVE_OK else {
                throw Self.openFailure(handle, path: path)
            }
            return
        }
        // tar / tar.gz: one pass. A raw reader decompresses; the tar reader pulls the decompressed stream through a
        // callback that also computes the gzip CRC-32 and walks the tar blocks (libarchive checks neither the CRC
        // nor what follows the end-of-archive marker).
        let source = try RawStreamSource(path: path)
        self.source = source
        zip = nil
        archive_read_support_format_tar(handle)
        archive_read_support_format_gnutar(handle)
        // Read past end-of-archive markers, so a second archive glued on reaches the audit.
        archive_read_set_format_option(handle, "tar", "read_concatenated_archives", "1")
        let status = archive_read_open(
            handle, Unmanaged.passUnretained(source).toOpaque(), nil,
            { _, context, buffer in
                Unmanaged<RawStreamSource>.fromOpaque(context!).takeUnretainedValue().next(buffer)
            }, nil)
        guard status == ARCHIVE_OK else {
            if let failure = source.failure { throw failure }
            throw Self.openFailure(handle, path: path)
        }
    }

    private static func openFailure(_ handle: OpaquePointer, path: String) -> ArchiveError {
        let reason = message(handle)
        if reason.contains("Unrecognized archive format") {
            return ArchiveError.unsupportedFormat(path: path, format: "(unrecognised)")
        }
        return ArchiveError.corrupt(path: path, reason: reason)
    }

    /// For tar archives, after the last entry: reads whatever follows and checks the stream's integrity (gzip
    /// CRC-32 and length against the trailer; only zero padding after the end-of-archive marker). zip archives were
    /// checked before the first entry (the central directory against the local headers) and as each entry was read.
    public func finishAudit() throws {
        try source?.finish()
    }

    deinit {
        archive_read_free(handle)
    }

    /// The next entry header, or nil at the end of the archive.
    public func nextEntry() throws(ArchiveError) -> ArchiveEntry? {
        guard !finished else { return nil }
        var entry: OpaquePointer?
        let status = archive_read_next_header(handle, &entry)
        if status == ARCHIVE_EOF {
            finished = true
            if let zip, zipIndex != zip.records.count {
                throw ArchiveError.corrupt(path: path, reason: "read \(zipIndex) zip entries, the central directory lists \(zip.records.count)")
            }
            return nil
        }
        guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else {
            if let failure = source?.failure as? ArchiveError { throw failure }
            let reason = Self.message(handle)
            if reason.contains("Unrecognized archive format") {
                throw ArchiveError.unsupportedFormat(path: path, format: "(unrecognised)")
            }
            throw ArchiveError.corrupt(path: path, reason: reason)
        }
        let name = archive_entry_pathname_utf8(entry).map { String(cString: $0) } ?? archive_entry_pathname(entry).map { String(cString: $0) } ?? ""
        let type = UInt32(archive_entry_filetype(entry))
        let kind: ArchiveEntry.Kind
        if let link = archive_entry_hardlink(entry) {
            kind = .hardLink(target: String(cString: link))
        } else {
            switch type {
            case hp_AE_IFREG: kind = .regularFile
            case hp_AE_IFDIR: kind = .directory
            case hp_AE_IFLNK: kind = .symbolicLink(target: archive_entry_symlink(entry).map { String(cString: $0) } ?? "")
            case hp_AE_IFCHR: kind = .characterDevice
            case hp_AE_IFBLK: kind = .blockDevice
            case hp_AE_IFIFO: kind = .fifo
            case hp_AE_IFSOCK: kind = .socket
            default: kind = .unknown(type)
            }
        }
        var path = name
        if let zip { path = try zipName(libarchive: name, zip) }
        let result = ArchiveEntry(
            path: path, kind: kind,
            size: archive_entry_size_is_set(entry) != 0 ? archive_entry_size(entry) : nil, permissions: UInt32(archive_entry_perm(entry)),
            headerPosition: archive_read_header_position(handle))
        if zip != nil { try checkZipEntry(result) }
        return result
    }

    /// A zip entry's name is its central directory record's, the same bytes as its local header's (libarchive cannot
    /// decode UTF-8 names in the C locale). libarchive's seekable reader returns the entries in local header order:
    /// the n-th entry is the n-th record, and a name libarchive did decode must be that record's.
    private func zipName(libarchive name: String, _ zip: ZipCentralDirectory) throws(ArchiveError) -> String {
        guard zipIndex < zip.records.count else {
            throw ArchiveError.corrupt(path: path, reason: "more zip entries than the central directory lists")
        }
        let record = zip.records[zipIndex]
        zipIndex += 1
        zipRecord = record
        guard name.isEmpty || name == record.displayName else {
            throw ArchiveError.unsafeEntry(
                entry: record.displayName, rule: "zip entry read as \(name.debugDescription), another name than its central directory's")
        }
        return record.displayName
    }

    /// A zip entry's data that libarchive reads itself (a symlink's target) must match its record; others hold none.
    private func checkZipEntry(_ entry: ArchiveEntry) throws(ArchiveError) {
        guard let record = zipRecord else { return }
        switch entry.kind {
        case .regularFile: break
        case .symbolicLink(let target):
            // The target is the entry's data: it must match the CRC-32 and size recorded.
            var check = ZipCentralDirectory.DataCheck(record)
            Array(target.utf8).withUnsafeBytes { check.update($0) }
            try check.finish(path: path)
        default:
            guard record.size == 0 else {
                throw ArchiveError.unsafeEntry(entry: record.displayName, rule: "zip entry that is not a file but holds data")
            }
        }
    }

    /// Reads the current entry's data into `body`, block by block without copying (libarchive's own buffers);
    /// holes of sparse entries are passed as zeros. Returns the byte count.
    @discardableResult
    public func readData(chunkSize: Int = 1 << 16, _ body: (UnsafeRawBufferPointer) throws -> Void) throws -> Int64 {
        var total: Int64 = 0
        var block: UnsafeRawPointer?
        var size = 0
        var offset: Int64 = 0
        // zip: the data must match the CRC-32 and size of the central directory (libarchive only warns).
        var zipCheck = zipRecord.map(ZipCentralDirectory.DataCheck.init)
        while true {
            let status = archive_read_data_block(handle, &block, &size, &offset)
            if status == ARCHIVE_EOF {
                try zipCheck?.finish(path: path)
                return total
            }
            guard status == ARCHIVE_OK || status == ARCHIVE_WARN else {
                throw source?.failure ?? ArchiveError.corrupt(path: path, reason: Self.message(handle))
            }
            if offset > total {
                // A hole in a sparse entry: zeros, which count towards every limit like any other byte.
                let zeros = [UInt8](repeating: 0, count: min(chunkSize, Int(offset - total)))
                while total < offset {
                    let step = Int(min(Int64(zeros.count), offset - total))
                    try zeros.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<step])) }
                    total += Int64(step)
                }
            } else if offset < total {
                throw ArchiveError.corrupt(path: path, reason: "overlapping data blocks")
            }
            guard let block, size > 0 else { continue }
            zipCheck?.update(UnsafeRawBufferPointer(start: block, count: size))
            try body(UnsafeRawBufferPointer(start: block, count: size))
            total += Int64(size)
        }
    }

    /// Bytes of uncompressed stream the format has consumed so far.
    public var uncompressedOffset: Int64 { archive_filter_bytes(handle, 0) }

    /// Bytes read from the file so far (for tar.gz, by the decompressing reader).
    public var compressedOffset: Int64 { source?.compressedOffset ?? archive_filter_bytes(handle, -1) }

    /// True for zip archives (known after the first header).
    public var isZip: Bool { archive_format(handle) & 0xFF0000 == 0x50000 }

    /// True for tar archives (known after the first header).
    public var isTar: Bool { archive_format(handle) & 0xFF0000 == 0x30000 }

    private static func message(_ handle: OpaquePointer) -> String {
        archive_error_string(handle).map { String(cString: $0) } ?? "unknown libarchive error"
    }
}
