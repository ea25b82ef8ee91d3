import HephaestusPlatform

/// Archive-bomb limits, as `--max-total-bytes`, `--max-entries`, `--max-entry-bytes` and `--max-ratio` give them
/// (absent fields take the documented defaults of ``ExtractionLimits``).
public struct ExtractionChoice: Codable, Sendable, Equatable {
    public var maxTotalBytes: Int64
    public var maxEntries: Int
    public var maxEntryBytes: Int64
    public var maxRatio: Double

    public init(
        maxTotalBytes: Int64 = ExtractionLimits().totalBytes, maxEntries: Int = ExtractionLimits().entries,
        maxEntryBytes: Int64 = ExtractionLimits().entryBytes, maxRatio: Double = ExtractionLimits().compressionRatio
    ) {
        self.maxTotalBytes = maxTotalBytes
        self.maxEntries = maxEntries
        self.maxEntryBytes = maxEntryBytes
        self.maxRatio = maxRatio
    }

    /// Each limit positive (the ratio at least 1), the error naming the option.
    public func validate() throws(RequestError) {
        let counts: [(option: String, value: Int64)] = [
            ("--max-total-bytes", maxTotalBytes), ("--max-entries", Int64(maxEntries)), ("--max-entry-bytes", maxEntryBytes),
        ]
        if let wrong = counts.first(where: { $0.value <= 0 }) { throw RequestError("\(wrong.option) must be positive, not \(wrong.value)") }
        guard maxRatio >= 1 else { throw RequestError("--max-ratio must be at least 1, not \(maxRatio)") }
    }

    public var limits: ExtractionLimits {
        ExtractionLimits(totalBytes: maxTotalBytes, entries: maxEntries, entryBytes: maxEntryBytes, compressionRatio: maxRatio)
    }

    private enum CodingKeys: String, CodingKey { case maxTotalBytes, maxEntries, maxEntryBytes, maxRatio }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = ExtractionLimits()
        maxTotalBytes = try container.decodeIfPresent(Int64.self, forKey: .maxTotalBytes) ?? defaults.totalBytes
        maxEntries = try container.decodeIfPresent(Int.self, forKey: .maxEntries) ?? defaults.entries
        maxEntryBytes = try container.decodeIfPresent(Int64.self, forKey: .maxEntryBytes) ?? defaults.entryBytes
        maxRatio = try container.decodeIfPresent(Double.self, forKey: .maxRatio) ?? defaults.compressionRatio
    }
}
