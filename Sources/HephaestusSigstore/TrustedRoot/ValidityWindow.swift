import Foundation

/// A closed interval `[start, end]` of validity; an absent end means "still valid".
public struct ValidityWindow: Sendable, Equatable, CustomStringConvertible {
    public let start: Date
    public let end: Date?

    public init(start: Date, end: Date?) {
        self.start = start
        self.end = end
    }

    public func contains(_ date: Date) -> Bool {
        start <= date && (end.map { date <= $0 } ?? true)
    }

    public var description: String {
        "\(RFC3339.format(start)) – \(end.map(RFC3339.format) ?? "open")"
    }
}

/// RFC 3339 timestamps as protobuf's Timestamp JSON writes them (fractional seconds optional, `Z` or offset).
package enum RFC3339 {
    static func parse(_ text: String) -> Date? {
        let withFraction = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        let plain = Date.ISO8601FormatStyle()
        return (try? withFraction.parse(text)) ?? (try? plain.parse(text))
    }

    package static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle())
    }
}
