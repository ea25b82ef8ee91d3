import HephaestusCore

/// What an account may do, each role including the one before it (API.md, "Authentication and roles"):
/// `viewer` < `verifier` < `operator` < `admin`.
public enum Role: String, Codable, Sendable, CaseIterable, Comparable {
    /// Reads: inventory queries, reports, task status, the operations' schemas.
    case viewer
    /// viewer, and every verification and digest operation (including `inventory.audit`, which re-verifies).
    case verifier
    /// verifier, and the operations that change things (install, scan, backfill, sign, publish).
    case `operator`
    /// operator, and accounts and the audit log.
    case admin

    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }

    private var rank: Int { Role.allCases.firstIndex(of: self)! }

    /// The role a request or an option names (`--role operator`); anything else is a ``RequestError`` listing the
    /// roles.
    public init(parsing text: String) throws(RequestError) {
        guard let role = Role(rawValue: text) else {
            throw RequestError("unknown role \"\(text)\": expected one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        self = role
    }
}
