import Foundation
import HephaestusCore
import HephaestusPlatform

/// Media types of the accounts and audit documents.
public enum ServiceMediaType {
    public static let account = "application/vnd.hephaestus.account+json;version=1"
    public static let accounts = "application/vnd.hephaestus.accounts+json;version=1"
    public static let accountRevocation = "application/vnd.hephaestus.account-revocation+json;version=1"
    public static let auditRecords = "application/vnd.hephaestus.audit-records+json;version=1"
    public static let auditVerification = "application/vnd.hephaestus.audit-verification+json;version=1"
}

extension ServiceStore {
    /// The store an operation manages: the front end's own when it has one (a request may not name another: a client
    /// of the service cannot point it at a file of its choice), else the one `requested` names or the default.
    public static func forOperation(_ requested: String?, in context: OperationContext, mustExist: Bool) throws -> ServiceStore {
        if let attached = context.serviceStore {
            guard requested == nil else { throw RequestError("store: the service uses its own store; a request may not name one") }
            guard let store = attached as? ServiceStore else {
                throw GeneralError.unexpected("the front end's store is a \(type(of: attached)), not a ServiceStore")
            }
            return store
        }
        return try ServiceStore.open(try StoreLocation.resolve(requested, environment: context.environment), mustExist: mustExist)
    }

    /// Runs `change` on the store opened directly (the command line, no service in front): audited as transport
    /// `cli` with the local user as `source` — `allowed` before (refused if the record cannot be written), the
    /// outcome after. Through the service, the gate has audited the request already and `change` just runs.
    func auditingLocalChange<T: Sendable>(
        _ operation: String, target: String, in context: OperationContext, _ change: () async throws -> T
    ) async throws -> T {
        guard context.serviceStore == nil else { return try await change() }
        let user = context.environment["USER"] ?? context.environment["LOGNAME"] ?? "unknown"
        func entry(_ outcome: AuditOutcome, _ status: String, _ code: String?) -> AuditEntry {
            AuditEntry(
                time: context.clock(), requestID: context.runID.value, account: nil, role: nil, transport: .cli, operation: operation,
                outcome: outcome, status: status, code: code, source: "local:\(user)", target: target)
        }
        _ = try await audit.append(entry(.allowed, AuditStatus.ok(.cli), nil))
        do {
            let result = try await change()
            _ = try await audit.append(entry(.succeeded, AuditStatus.ok(.cli), nil))
            return result
        } catch {
            let coded = (error as? any CodedError) ?? GeneralError.unexpected("\(error)")
            _ = try await audit.append(entry(.failed, AuditStatus.of(coded.category, .cli), coded.code))
            throw error
        }
    }
}

/// An account as documents show it: with its state now.
public struct AccountView: Codable, Sendable, Equatable {
    public let account: Account
    public let state: Account.State

    public init(_ account: Account, at time: Date) {
        self.account = account
        state = account.state(at: time)
    }

    enum CodingKeys: String, CodingKey { case state }

    public func encode(to encoder: any Encoder) throws {
        try account.encode(to: encoder)
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(state, forKey: .state)
    }

    public init(from decoder: any Decoder) throws {
        account = try Account(from: decoder)
        state = try decoder.container(keyedBy: CodingKeys.self).decode(Account.State.self, forKey: .state)
    }
}

/// Codes every operation opening the store can end with.
let storeOpeningCodes = [
    ServiceStoreError.Code.invalidLocation, .unsupported, .foreign, .schema, .unavailable,
].map(\.rawValue)

// MARK: - accounts.create

/// `accounts.create`: a new account with a fresh bearer token, shown in this report only.
public enum AccountsCreateOperation: HephaestusCore.Operation {
    public struct Request: Codable, Sendable, Equatable {
        public var name: String
        public var role: String
        /// How long it lives (`90d`, `P90D`); nil: until revoked.
        public var expires: String?
        /// `sqlite:PATH` (command line only; a service uses its own).
        public var store: String?

        public init(name: String, role: String, expires: String? = nil, store: String? = nil) {
            self.name = name
            self.role = role
            self.expires = expires
            self.store = store
        }
    }

    /// The `accounts create --json` document: `name`, `role`, `token` (once), `expires`.
    public struct Report: OperationReport, Equatable {
        public let name: String
        public let role: Role
        public let token: String
        public let expires: String?
        public let createdAt: String
    }

    public static let descriptor = OperationDescriptor(
        name: "accounts.create", command: "accounts create",
        summary: "Create a service account with a role; print its bearer token once (only its hash is stored).",
        reportMediaType: ServiceMediaType.account, effect: .destructive,
        errorCodes: [ServiceStoreError.Code.accountExists.rawValue, AuditError.Code.unwritable.rawValue] + storeOpeningCodes)

    public static func run(_ request: Request, in context: OperationContext, emit: ItemSink<Never>) async throws -> Report {
        let role = try Role(parsing: request.role)
        try Account.validate(name: request.name)
        let now = context.clock()
        let expiresAt = try request.expires.map { now.addingTimeInterval(try ExpiryDuration.seconds($0)) }
        let store = try ServiceStore.forOperation(request.store, in: context, mustExist: false)
        let issued = try await store.auditingLocalChange(descriptor.name, target: request.name, in: context) {
            try await store.accounts.create(name: request.name, role: role, expiresAt: expiresAt, at: now)
        }
        context.redactor.register(issued.token.text)
        return Report(
            name: issued.account.name, role: issued.account.role, token: issued.token.text, expires: issued.account.expiresAt.map(RFC3339.string),
            createdAt: RFC3339.string(issued.account.createdAt))
    }
}

// MARK: - accounts.list

/// `accounts.list`: every account, with its role, lifetime and state (never a token).
public enum AccountsListOperation: HephaestusCore.Operation {
    public struct Request: Codable, Sendable, Equatable {
        public var store: String?

        public init(store: String? = nil) {
            self.store = store
        }
    }

    public struct Report: OperationReport, Equatable {
        public let accounts: [AccountView]
    }

    public static let descriptor = OperationDescriptor(
        name: "accounts.list", command: "accounts list", summary: "List the service accounts: name, role, state, creation, expiry, revocation.",
        reportMediaType: ServiceMediaType.accounts, effect: .readOnly, errorCodes: [ServiceStoreError.Code.missing.rawValue] + storeOpeningCodes)

    public static func run(_ request: Request, in context: OperationContext, emit: ItemSink<Never>) async throws -> Report {
        let store = try ServiceStore.forOperation(request.store, in: context, mustExist: true)
        let now = context.clock()
        return Report(accounts: try await store.accounts.accounts().map { AccountView($0, at: now) })
    }
}

// MARK: - accounts.revoke

/// `accounts.revoke`: the account's token stops working at the next request, in every process sharing the store.
public enum AccountsRevokeOperation: HephaestusCore.Operation {
    public struct Request: Codable, Sendable, Equatable {
        public var name: String
        public var store: String?

        public init(name: String, store: String? = nil) {
            self.name = name
            self.store = store
        }
    }

    public struct Report: OperationReport, Equatable {
        public let account: AccountView
    }

    public static let descriptor = OperationDescriptor(
        name: "accounts.revoke", command: "accounts revoke", summary: "Revoke a service account: its token is refused from the next request on.",
        reportMediaType: ServiceMediaType.accountRevocation, effect: .idempotent,
        errorCodes: [ServiceStoreError.Code.accountNotFound.rawValue, ServiceStoreError.Code.missing.rawValue, AuditError.Code.unwritable.rawValue]
            + storeOpeningCodes)

    public static func run(_ request: Request, in context: OperationContext, emit: ItemSink<Never>) async throws -> Report {
        let store = try ServiceStore.forOperation(request.store, in: context, mustExist: true)
        let now = context.clock()
        let account = try await store.auditingLocalChange(descriptor.name, target: request.name, in: context) {
            try await store.accounts.revoke(named: request.name, at: now)
        }
        return Report(account: AccountView(account, at: now))
    }
}

// MARK: - audit.show

/// `audit.show`: audit records, filtered by time and account.
public enum AuditShowOperation: HephaestusCore.Operation {
    public struct Request: Codable, Sendable, Equatable {
        /// Records at or after this time: RFC 3339 (`2026-12-01T00:00:00Z`), or a duration back from now (`24h`, `P7D`).
        public var since: String?
        public var account: String?
        /// At most this many, the most recent.
        public var limit: Int?
        public var store: String?

        public init(since: String? = nil, account: String? = nil, limit: Int? = nil, store: String? = nil) {
            self.since = since
            self.account = account
            self.limit = limit
            self.store = store
        }

        func filter(now: Date) throws(RequestError) -> AuditFilter {
            var since: Date?
            if let text = self.since {
                if let time = RFC3339.date(text) {
                    since = time
                } else if let seconds = try? ExpiryDuration.seconds(text) {
                    since = now.addingTimeInterval(-seconds)
                } else {
                    throw RequestError("--since \(text): expected an RFC 3339 time (2026-12-01T00:00:00Z) or a duration back from now (24h, P7D)")
                }
            }
            if let limit { try RequestError.checkRange(limit, 1...1_000_000, option: "--limit") }
            return AuditFilter(since: since, account: account, limit: limit)
        }
    }

    public struct Report: OperationReport, Equatable {
        public let records: [AuditRecord]
    }

    public static let descriptor = OperationDescriptor(
        name: "audit.show", command: "audit show", summary: "List audit records, filtered by time and account.",
        reportMediaType: ServiceMediaType.auditRecords, effect: .readOnly, errorCodes: [ServiceStoreError.Code.missing.rawValue] + storeOpeningCodes)

    public static func run(_ request: Request, in context: OperationContext, emit: ItemSink<Never>) async throws -> Report {
        let filter = try request.filter(now: context.clock())
        let store = try ServiceStore.forOperation(request.store, in: context, mustExist: true)
        return Report(records: try await store.audit.records(matching: filter))
    }
}

// MARK: - audit.verify

/// `audit.verify`: checks the whole chain; a broken one is a negative verdict naming the first bad record.
public enum AuditVerifyOperation: HephaestusCore.Operation {
    public struct Request: Codable, Sendable, Equatable {
        /// A head recorded earlier (`SEQUENCE:sha256:HEX`): the record at that sequence must still have that hash.
        public var expectHead: String?
        public var store: String?

        public init(expectHead: String? = nil, store: String? = nil) {
            self.expectHead = expectHead
            self.store = store
        }
    }

    public struct Report: OperationReport, Equatable {
        public let verification: AuditVerification

        public var failure: (any CodedError)? { verification.failure }

        public func encode(to encoder: any Encoder) throws { try verification.encode(to: encoder) }
        public init(from decoder: any Decoder) throws { verification = try AuditVerification(from: decoder) }
        init(verification: AuditVerification) { self.verification = verification }
    }

    public static let descriptor = OperationDescriptor(
        name: "audit.verify", command: "audit verify",
        summary: "Check the audit log's hash chain: any record altered, removed or reordered is reported (the first one named).",
        reportMediaType: ServiceMediaType.auditVerification, effect: .readOnly,
        errorCodes: [AuditError.Code.broken.rawValue, ServiceStoreError.Code.missing.rawValue] + storeOpeningCodes)

    public static func run(_ request: Request, in context: OperationContext, emit: ItemSink<Never>) async throws -> Report {
        let anchor = try request.expectHead.map(AuditHead.init(parsing:))
        let store = try ServiceStore.forOperation(request.store, in: context, mustExist: true)
        return Report(verification: try await store.audit.verify(anchor: anchor))
    }
}
