import Foundation
import HephaestusPlatform

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
        "\(RFC3339.string(start)) – \(end.map(RFC3339.string) ?? "open")"
    }
}
