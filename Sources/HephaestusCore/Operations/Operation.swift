import Foundation
import HephaestusPlatform

/// A user-facing action of Hephaestus (`verify.bundle`, `release.install`, `publish.pypi`, …): a `Codable` request, a
/// `Codable` report with a versioned media type, the error codes it can end with, what it changes, and the one
/// function that does the work in its order.
///
/// Front ends (the CLI today; REST, gRPC and MCP next) only decode a request, call ``run(_:in:emit:)`` and render the
/// report, so each behaves the same by construction. Operations that produce results one by one while they work
/// (`verify.batch` lines, `sign` outcomes, uploads) hand each to `emit` in input order: the CLI prints it at once, a
/// service streams it.
public protocol Operation: Sendable {
    associatedtype Request: Codable & Sendable
    associatedtype Report: OperationReport
    /// One result produced while the operation works; `Never` when it produces none.
    associatedtype Item: Codable & Sendable = Never

    static var descriptor: OperationDescriptor { get }

    /// Does the work. Throws when the operation could not give a verdict (bad input, unreachable service); a negative
    /// verdict the operation could establish is in the report (``OperationReport/failure``).
    static func run(_ request: Request, in context: OperationContext, emit: ItemSink<Item>) async throws -> Report
}

extension Operation where Item == Never {
    /// Runs an operation that produces no items.
    public static func run(_ request: Request, in context: OperationContext) async throws -> Report {
        try await run(request, in: context, emit: ItemSink { _ in })
    }
}

/// A report: what the operation established, encoded as its `--json` document (service body, MCP result).
public protocol OperationReport: Codable, Sendable {
    /// The negative verdict the report carries (a bundle that failed verification, listed files that mismatched), as
    /// the error front ends turn into an exit status, HTTP status or tool error; nil when the operation succeeded.
    var failure: (any CodedError)? { get }
}

extension OperationReport {
    public var failure: (any CodedError)? { nil }
}

/// Where an operation hands its items, in input order.
public struct ItemSink<Item: Sendable>: Sendable {
    private let deliver: @Sendable (Item) -> Void

    public init(_ deliver: @escaping @Sendable (Item) -> Void) {
        self.deliver = deliver
    }

    public func callAsFunction(_ item: Item) {
        deliver(item)
    }
}

/// What running an operation changes.
public enum OperationEffect: String, Codable, Sendable, CaseIterable {
    /// Reads only: safe to repeat, to retry, to run anywhere.
    case readOnly = "read-only"
    /// Changes state, and repeating the same request changes nothing more (downloads, installs, uploads that skip
    /// what is already there).
    case idempotent
    /// Changes state in a way that repeating does not undo or may compound (signing logs a new transparency-log entry;
    /// deleting releases, rolling back backfills).
    case destructive
}

/// The description of an operation that front ends, the schema export and the docs are built from.
public struct OperationDescriptor: Codable, Sendable, Equatable {
    /// The stable name, `group.name` (`verify.bundle`); REST serves it at `POST /v1/group/name`.
    public let name: String
    /// The CLI command that runs it (`verify bundle`).
    public let command: String
    /// One line: what it does.
    public let summary: String
    /// The media type of its report.
    public let reportMediaType: String
    public let effect: OperationEffect
    /// The error codes it can end with (beyond the generic ones every operation can meet: usage, internal).
    public let errorCodes: [String]
    /// Whether it may take long enough to be run as a task with progress events.
    public let longRunning: Bool

    public init(
        name: String, command: String, summary: String, reportMediaType: String, effect: OperationEffect, errorCodes: [String],
        longRunning: Bool = false
    ) {
        self.name = name
        self.command = command
        self.summary = summary
        self.reportMediaType = reportMediaType
        self.effect = effect
        self.errorCodes = errorCodes
        self.longRunning = longRunning
    }

    /// The group (`verify` of `verify.bundle`).
    public var group: String { String(name.prefix { $0 != "." }) }
}
