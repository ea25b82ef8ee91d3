import Foundation
import HephaestusPlatform

/// The identifier of one `hephaestus` invocation: on every log record and in every JSON result.
public struct RunID: Sendable, Hashable, CustomStringConvertible, Codable {
    public let value: String

    public init(_ value: String) {
        self.value = value
    }

    /// A fresh random run id (a lowercase UUID).
    public static func generate() -> RunID {
        RunID(UUID.randomLowercased())
    }

    public var description: String { value }

    public init(from decoder: any Decoder) throws {
        value = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}
