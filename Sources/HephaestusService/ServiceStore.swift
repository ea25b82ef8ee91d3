import Foundation
import HephaestusCore
import HephaestusPlatform

/// Where a service store is: `sqlite:PATH` (embedded, the default) or `postgres://…` (shared by replicas; not in
/// this build yet).
public enum StoreLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(url: String)

    /// Parses `--store`: `sqlite:PATH` (`sqlite:///abs/path` and `sqlite://relative` are read as the path after
    /// `sqlite://` too), `postgres://…` or `postgresql://…`.
    public init(parsing text: String) throws(ServiceStoreError) {
        if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") {
            self = .postgres(url: text)
            return
        }
        guard text.hasPrefix("sqlite:") else {
            throw .invalidLocation(text, reason: "expected sqlite:PATH or postgres://…")
        }
        var path = text.dropFirst("sqlite:".count)
        if path.hasPrefix("//") { path = path.dropFirst(2) }
        guard !path.isEmpty else { throw .invalidLocation(text, reason: "sqlite: needs a path (sqlite:/var/lib/hephaestus/service.sqlite)") }
        self = .sqlite(path: String(path))
    }

    /// Parses a store option that also takes a plain file path (`analytics ingest --store`, `analytics rankings
    /// --events`): a value with a URL scheme (`sqlite:…`, `postgres://…`, any `scheme://…`) is read as
    /// ``init(parsing:)`` reads it (an unknown scheme refused), anything else is the SQLite file's path.
    public init(parsingURLOrPath text: String) throws(ServiceStoreError) {
        if text.hasPrefix("sqlite:") || text.firstRange(of: /^[A-Za-z][A-Za-z0-9+.\-]*:\/\//) != nil {
            try self.init(parsing: text)
        } else {
            guard !text.isEmpty else { throw .invalidLocation(text, reason: "expected a file path, sqlite:PATH or postgres://…") }
            self = .sqlite(path: text)
        }
    }

    /// The SQLite file of the store; a store kind this build cannot open (PostgreSQL) is
    /// ``ServiceStoreError/unsupported(location:reason:)``.
    public func sqliteFile() throws(ServiceStoreError) -> String {
        switch self {
        case .sqlite(let path): return path
        case .postgres:
            throw .unsupported(location: description, reason: "PostgreSQL stores are planned for a later release; use sqlite:PATH")
        }
    }

    /// `$XDG_DATA_HOME/hephaestus/service.sqlite` (default `~/.local/share/hephaestus/service.sqlite`), in `environment`.
    public static func defaultLocation(environment: [String: String]) -> StoreLocation {
        let base =
            environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()) + "/.local/share"
        return .sqlite(path: base + "/hephaestus/service.sqlite")
    }

    /// The location `text` names, or the default one of `environment`.
    public static func resolve(_ text: String?, environment: [String: String]) throws(ServiceStoreError) -> StoreLocation {
        guard let text else { return defaultLocation(environment: environment) }
        return try StoreLocation(parsing: text)
    }

    /// As messages show it: a PostgreSQL URL's password is masked.
    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        case .postgres(let url): Self.maskingPassword(url)
        }
    }

    private static func maskingPassword(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://"), let at = url[schemeEnd.upperBound...].lastIndex(of: "@") else { return url }
        let credentials = url[schemeEnd.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return url }
        return String(url[..<colon]) + ":***" + String(url[at...])
    }
}

/// The service's store, opened once: accounts, the audit log and the task queue, all in one database so one backup
/// holds them together.
public struct ServiceStore: AttachedServiceStore {
    public let location: String
    public let accounts: any AccountStore
    public let audit: any AuditLog
    public let tasks: any TaskQueue

    public init(location: String, accounts: any AccountStore, audit: any AuditLog, tasks: any TaskQueue) {
        self.location = location
        self.accounts = accounts
        self.audit = audit
        self.tasks = tasks
    }
}
