import Foundation

/// RFC 3339 timestamps, the one formatter of Hephaestus: reports, logs, inventories and advisories all write
/// `2024-05-01T12:00:00Z` (UTC, whole seconds), and read that form with optional fractional seconds and offsets.
public enum RFC3339 {
    /// `date` in UTC to the second (fractions dropped, as `Date.ISO8601FormatStyle()` and JSONEncoder's `.iso8601`
    /// write it), without Foundation's formatter cost.
    public static func string(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let year = parts.tm_year + 1900
        let yearText = year < 1000 ? String(repeating: "0", count: 4 - String(year).count) + String(year) : String(year)
        return "\(yearText)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; nil for anything else.
    public static func date(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle())
    }
}
