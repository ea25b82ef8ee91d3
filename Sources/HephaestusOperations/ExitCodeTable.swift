import HephaestusCore
import HephaestusPlatform

/// The table that maps error codes to exit statuses, derived from the ``ErrorCatalogue``.
///
/// Every code's category and "when" are declared next to the code, in its area's ``ErrorCode``; a code's exit status
/// is its category's. `docs/reference/exit-codes.md` is generated from this table and a test fails when it is stale.
public enum ExitCodeTable {
    /// One row: an error code, its category, its exit status and when it happens.
    public struct Row: Sendable, Equatable {
        public let code: String
        public let category: ErrorCategory
        public let status: ExitStatus
        public let when: String
    }

    /// The code for command-line errors reported by the argument parser.
    public static let usageCode = GeneralError.Code.invalidArgument.rawValue
    /// The code for errors that carry no code of their own (bugs).
    public static let internalCode = GeneralError.Code.unexpected.rawValue

    /// One row per code of the catalogue, in its order.
    public static let rows: [Row] = ErrorCatalogue.entries.map {
        Row(code: $0.code, category: $0.category, status: $0.category.exitStatus, when: $0.summary)
    }

    /// The exit status for `code`; unknown codes are internal errors.
    public static func status(forCode code: String) -> ExitStatus {
        rows.first { $0.code == code }?.status ?? .software
    }

    /// The exit status for any error: a coded error's category's; anything else is an internal error.
    public static func status(for error: any Error) -> ExitStatus {
        (error as? any CodedError)?.category.exitStatus ?? .software
    }

    /// `docs/reference/exit-codes.md`, generated from ``ExitStatus``, ``ErrorCategory`` and ``rows``.
    public static func markdown() -> String {
        var lines = [
            "# Exit codes",
            "",
            "<!-- Generated from the error codes of every module (each area's ErrorCode, listed in",
            "     Sources/HephaestusOperations/ErrorCatalogue.swift) by",
            "     `RECORD_SNAPSHOTS=1 swift test --filter ExitCodeDocumentation`. Do not edit by hand. -->",
            "",
            "| status | meaning |",
            "|---|---|",
        ]
        for status in ExitStatus.allCases {
            lines.append("| \(status.rawValue) | \(status.meaning) |")
        }
        lines += [
            "",
            "## Error categories",
            "",
            "Every error code has a category; the exit status, and the HTTP status and gRPC status code of the service,",
            "follow from it.",
            "",
            "| category | meaning | exit status | HTTP status | gRPC status code |",
            "|---|---|---|---|---|",
        ]
        for category in ErrorCategory.allCases {
            lines.append(
                "| `\(category.rawValue)` | \(category.meaning) | \(category.exitStatus.rawValue) | \(category.httpStatus) | "
                    + "\(category.grpcStatus.name) (\(category.grpcStatus.rawValue)) |")
        }
        lines += ["", "## By error code", "", "| error code | category | status | when |", "|---|---|---|---|"]
        for row in rows {
            lines.append("| `\(row.code)` | \(row.category.rawValue) | \(row.status.rawValue) | \(row.when) |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
