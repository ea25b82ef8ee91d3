import HephaestusPlatform

/// Failures of the service store (accounts, audit log, task queue) and of what is asked of it.
public enum ServiceStoreError: CodedError, Equatable {
    /// `--store` names a store kind this build cannot open (PostgreSQL, for now).
    case unsupported(location: String, reason: String)
    /// `--store` is not a store URL.
    case invalidLocation(String, reason: String)
    /// The path holds something else than a service store (another program's database, a file that is not SQLite).
    case foreign(path: String, reason: String)
    /// The store was written by a newer Hephaestus, or its schema is unusable.
    case schema(location: String, reason: String)
    /// A command that only reads the store found none.
    case missing(location: String)
    /// The store could not be opened, read or written (locked past the busy timeout, read-only, disk full).
    case unavailable(location: String, reason: String)
    case accountExists(String)
    case accountNotFound(String)
    case taskNotFound(String)
    /// Another live process sharing the store runs as this replica.
    case replicaInUse(String)

    public enum Code: String, ErrorCode {
        case unsupported = "store.unsupported"
        case invalidLocation = "store.invalid-location"
        case foreign = "store.foreign"
        case schema = "store.schema"
        case missing = "store.missing"
        case unavailable = "store.unavailable"
        case accountExists = "account.exists"
        case accountNotFound = "account.not-found"
        case taskNotFound = "task.not-found"
        case replicaInUse = "task.replica-in-use"

        public var definition: (category: ErrorCategory, summary: String) {
            switch self {
            case .unsupported: (.configuration, "`--store` names a store this build cannot open (PostgreSQL is not supported yet)")
            case .invalidLocation: (.usage, "`--store` is not `sqlite:PATH` or `postgres://…`")
            case .foreign: (.invalidInput, "the store path holds another SQLite database or a file that is not one: refused, left unchanged")
            case .schema: (.invalidInput, "the service store was written by a newer Hephaestus, or its schema is unusable")
            case .missing: (.notFound, "no service store at the location (create one with `hephaestus accounts create`)")
            case .unavailable: (.unavailable, "the service store could not be opened, read or written (locked, read-only, full)")
            case .accountExists: (.outputExists, "an account of that name exists (names are never reused, even after revocation)")
            case .accountNotFound: (.notFound, "no account of that name")
            case .taskNotFound: (.notFound, "no task with that id")
            case .replicaInUse: (.configuration, "another running process sharing the store has this replica name (each needs its own `--replica`)")
            }
        }
    }

    public var errorCode: Code {
        switch self {
        case .unsupported: .unsupported
        case .invalidLocation: .invalidLocation
        case .foreign: .foreign
        case .schema: .schema
        case .missing: .missing
        case .unavailable: .unavailable
        case .accountExists: .accountExists
        case .accountNotFound: .accountNotFound
        case .taskNotFound: .taskNotFound
        case .replicaInUse: .replicaInUse
        }
    }

    public var description: String {
        switch self {
        case .unsupported(let location, let reason): "store \(location) is not supported in this build yet: \(reason)"
        case .invalidLocation(let text, let reason): "--store \(text): \(reason)"
        case .foreign(let path, let reason):
            "\(path) is not a Hephaestus service store: \(reason); refusing to use or change it (pass --store with another path)"
        case .schema(let location, let reason): "service store \(location) cannot be used: \(reason)"
        case .missing(let location): "no service store at \(location) (create one with `hephaestus accounts create`, or pass --store)"
        case .unavailable(let location, let reason): "service store \(location) is unavailable: \(reason)"
        case .accountExists(let name): "an account named \(name) exists already (names are never reused; choose another)"
        case .accountNotFound(let name): "no account named \(name) (see `hephaestus accounts list`)"
        case .taskNotFound(let id): "no task \(id)"
        case .replicaInUse(let name):
            "replica \(name) is running in another process sharing this store: give this one a name of its own (--replica NAME)"
        }
    }
}

/// Failures of the audit log: a record that could not be written (the request it describes is refused), and the
/// verdict of `audit verify` on a chain that does not hold.
public enum AuditError: CodedError, Equatable {
    /// The record could not be appended; whoever asked must refuse the request (503 / `UNAVAILABLE`).
    case unwritable(reason: String)
    /// `audit verify`: the chain breaks at record `sequence` (altered, removed or reordered records).
    case broken(sequence: Int64, reason: String)

    public enum Code: String, ErrorCode {
        case unwritable = "audit.unwritable"
        case broken = "audit.broken"

        public var definition: (category: ErrorCategory, summary: String) {
            switch self {
            case .unwritable: (.unavailable, "an audit record could not be written: the request it describes is refused")
            case .broken: (.checkFailed, "`audit verify`: a record was altered, removed or reordered (the first broken one is named)")
            }
        }
    }

    public var errorCode: Code {
        switch self {
        case .unwritable: .unwritable
        case .broken: .broken
        }
    }

    public var description: String {
        switch self {
        case .unwritable(let reason): "the audit record could not be written, so the request is refused: \(reason)"
        case .broken(let sequence, let reason): "the audit log is broken at record \(sequence): \(reason)"
        }
    }
}

/// Failures of tasks: starting one that cannot be a task, a worker whose claim was taken over, and the reason a task
/// interrupted by a dead process ends failed.
public enum TaskError: CodedError, Equatable {
    /// The operation is not registered, or is not long-running (only those may be tasks).
    case notTaskable(operation: String, reason: String)
    /// The worker no longer holds the task: its lease expired and another process recovered it.
    case claimLost(task: String, attempt: Int)
    /// The process running the task stopped, and the task may not run again (a destructive operation, or too many
    /// attempts).
    case interrupted(task: String, reason: String)

    public enum Code: String, ErrorCode {
        case notTaskable = "task.not-taskable"
        case claimLost = "task.claim-lost"
        case interrupted = "task.interrupted"

        public var definition: (category: ErrorCategory, summary: String) {
            switch self {
            case .notTaskable: (.usage, "the operation is unknown or not long-running, so it cannot be a task")
            case .claimLost: (.unavailable, "a worker's claim on a task expired and another process recovered the task")
            case .interrupted: (.unavailable, "the process running a task stopped and the task may not run again (destructive, or out of attempts)")
            }
        }
    }

    public var errorCode: Code {
        switch self {
        case .notTaskable: .notTaskable
        case .claimLost: .claimLost
        case .interrupted: .interrupted
        }
    }

    public var description: String {
        switch self {
        case .notTaskable(let operation, let reason): "\(operation) cannot run as a task: \(reason)"
        case .claimLost(let task, let attempt): "task \(task) attempt \(attempt) was recovered by another process: its result is discarded"
        case .interrupted(let task, let reason): "task \(task) was interrupted: \(reason)"
        }
    }
}
