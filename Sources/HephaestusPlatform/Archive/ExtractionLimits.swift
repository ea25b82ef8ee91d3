/// Bounds that stop archive bombs early. Defaults fit wheelhouses generously; each has a flag to raise it.
public struct ExtractionLimits: Sendable, Equatable {
    /// All entries' uncompressed bytes together (`--max-total-bytes`, default 4 GiB).
    public var totalBytes: Int64
    /// Entries of any kind (`--max-entries`, default 10,000).
    public var entries: Int
    /// One entry's uncompressed bytes (`--max-entry-bytes`, default 1 GiB).
    public var entryBytes: Int64
    /// Uncompressed ÷ compressed bytes read so far (`--max-ratio`, default 200), checked once 16 MiB are out.
    public var compressionRatio: Double

    public static let ratioFloor: Int64 = 16 << 20

    public init(totalBytes: Int64 = 4 << 30, entries: Int = 10_000, entryBytes: Int64 = 1 << 30, compressionRatio: Double = 200) {
        self.totalBytes = totalBytes
        self.entries = entries
        self.entryBytes = entryBytes
        self.compressionRatio = compressionRatio
    }
}
