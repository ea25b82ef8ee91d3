import HephaestusCore

/// What a request asks to do, as the gate authorises it.
public enum GatedAction: Sendable, Equatable {
    /// Run a registered operation (REST `POST /v1/<group>/<name>`, gRPC `Operations.Call`, an MCP tool).
    case operation(OperationDescriptor)
    /// Start a registered operation as a task (`POST /v1/tasks`): the operation's own permission.
    case startTask(OperationDescriptor)
    /// List or read tasks and their events.
    case readTasks
    /// Cancel a task started by `owner`.
    case cancelTask(owner: String)
    /// The registry: operations, their schemas, the OpenAPI document.
    case readSchema
    /// The dashboard (`/dashboard`): opening a session (`login`), reading the page (`read`), closing it (`logout`).
    case dashboard(String)
    /// Anything else (an unknown route or method): nobody may.
    case unknown(String)

    /// Whether the action only reads: a read-only operation, reading tasks or the registry. Such a call is audited
    /// once, with its outcome, when its answer can wait for that record (see ``RequestGate/authorize(_:)``).
    public var isReadOnly: Bool {
        switch self {
        case .operation(let descriptor): descriptor.effect == .readOnly
        case .readTasks, .readSchema: true
        case .startTask, .cancelTask, .dashboard, .unknown: false
        }
    }

    /// As audit records and refusals name it (`verify.bundle`, `tasks.read`).
    public var name: String {
        switch self {
        case .operation(let descriptor): descriptor.name
        case .startTask(let descriptor): "tasks.start:\(descriptor.name)"
        case .readTasks: "tasks.read"
        case .cancelTask: "tasks.cancel"
        case .readSchema: "schema.read"
        case .dashboard(let step): "dashboard.\(step)"
        case .unknown(let name): name
        }
    }
}

/// The one table of who may do what (API.md, "Authentication and roles"): each registered operation's minimum role,
/// by its group and effect, with a few operations named; the service's own actions. Deny by default: an operation
/// whose group (or name) is not in the table may not be run by anyone, admins included, until it is added here.
public struct PermissionTable: Sendable {
    /// One line of the table: operations of a group, or one operation, and the minimum role for reading ones and for
    /// changing ones (idempotent or destructive); nil: nobody.
    public struct Rule: Sendable, Equatable {
        public enum Subject: Sendable, Equatable {
            case group(String)
            case operation(String)
        }

        public let subject: Subject
        public let reading: Role?
        public let changing: Role?

        public init(_ subject: Subject, reading: Role?, changing: Role?) {
            self.subject = subject
            self.reading = reading
            self.changing = changing
        }

        /// The same role whatever the effect.
        public init(_ subject: Subject, _ role: Role) {
            self.init(subject, reading: role, changing: role)
        }
    }

    public let rules: [Rule]

    public init(rules: [Rule]) {
        self.rules = rules
    }

    /// The table of API.md. Viewers read (inventory reports and backfill status, trust roots, task status, schemas);
    /// verifiers verify and digest, including `inventory.audit` (it re-verifies) and `release.verify`; operators change
    /// things (scan, install, backfill, sign, publish, trust updates, wheelhouses); admins manage accounts and the audit
    /// log. Not served (no rule): `dev.*` (starts a local test Sigstore), `conformance.*` (test harnesses) and
    /// `tasks.work` (a worker process). `inventory.report` can write a file on the server (`output`), so its
    /// descriptor says it changes things and it needs operator, until reading a report and writing one are told apart.
    public static let standard = PermissionTable(rules: [
        Rule(.operation("inventory.audit"), .verifier),
        Rule(.operation("backfill.plan"), reading: .operator, changing: nil),
        Rule(.group("verify"), reading: .verifier, changing: nil),
        Rule(.group("digest"), reading: .verifier, changing: nil),
        Rule(.group("token"), reading: .verifier, changing: nil),
        Rule(.group("release"), reading: .verifier, changing: .operator),
        Rule(.group("inventory"), reading: .viewer, changing: .operator),
        Rule(.group("backfill"), reading: .viewer, changing: .operator),
        Rule(.group("trust"), reading: .viewer, changing: .operator),
        Rule(.group("sign"), reading: nil, changing: .operator),
        Rule(.group("publish"), reading: nil, changing: .operator),
        Rule(.group("wheelhouse"), reading: nil, changing: .operator),
        // Rankings and hotspots read a repository on the server's disk: verifier, as digests of its files are.
        Rule(.group("analytics"), reading: .verifier, changing: .operator),
        Rule(.group("cleanup"), reading: nil, changing: .operator),
        Rule(.group("guard-rails"), reading: nil, changing: .operator),
        Rule(.group("schema"), reading: .viewer, changing: nil),
        Rule(.group("accounts"), .admin),
        Rule(.group("audit"), .admin),
    ])

    /// The minimum role for running the operation `descriptor` describes; nil when nobody may (deny by default).
    public func minimumRole(for descriptor: OperationDescriptor) -> Role? {
        let rule =
            rules.first { $0.subject == .operation(descriptor.name) }
            ?? rules.first { $0.subject == .group(descriptor.group) }
        guard let rule else { return nil }
        return descriptor.effect == .readOnly ? rule.reading : rule.changing
    }

    /// The minimum role for `action` (nil: nobody), not counting ownership (see ``authorize(_:for:)``).
    public func minimumRole(for action: GatedAction) -> Role? {
        switch action {
        case .operation(let descriptor): minimumRole(for: descriptor)
        case .startTask(let descriptor): descriptor.longRunning ? minimumRole(for: descriptor) : nil
        case .readTasks, .readSchema, .dashboard: .viewer
        case .cancelTask: .admin
        case .unknown: nil
        }
    }

    /// Allows `account` to do `action`, or throws ``AccessError/forbidden(account:role:action:required:)``. An
    /// account may cancel its own tasks whatever its role; anyone else's need admin.
    public func authorize(_ action: GatedAction, for account: Account) throws(AccessError) {
        if case .cancelTask(let owner) = action, owner == account.name { return }
        let required = minimumRole(for: action)
        guard let required, account.role >= required else {
            throw .forbidden(account: account.name, role: account.role, action: action.name, required: required)
        }
    }
}
