import HephaestusPlatform

/// Why an AI agent's tool call (the MCP server) or a person's `hephaestus confirm` was refused.
public enum AgentError: CodedError, Equatable {
    /// No tool of that name (or not offered: `--read-only`).
    case unknownTool(String)
    /// A tool that changes state, called on a read-only server.
    case readOnly(tool: String)
    /// A destructive call without a confirmation code: the person must run `hephaestus confirm ID`.
    case confirmationRequired(tool: String, id: String)
    /// A confirmation code that is unknown, used, expired, or was given for another call.
    case confirmationRefused(reason: String)
    /// `hephaestus confirm` names no pending confirmation (unknown, expired, or already confirmed).
    case unknownConfirmation(String)
    /// `hephaestus confirm` without a person at a terminal (stdin or stdout is not a TTY).
    case notATerminal
    /// The pending-confirmation file is not private to the user, or cannot be read or written.
    case confirmationStore(path: String, reason: String)

    public enum Code: String, ErrorCode {
        case unknownTool = "agent.unknown-tool"
        case readOnly = "agent.read-only"
        case confirmationRequired = "agent.confirmation-required"
        case confirmationRefused = "agent.confirmation-refused"
        case unknownConfirmation = "agent.unknown-confirmation"
        case notATerminal = "agent.not-a-terminal"
        case confirmationStore = "agent.confirmation-store"

        public var definition: (category: ErrorCategory, summary: String) {
            switch self {
            case .unknownTool: (.notFound, "an MCP tool call names no tool the server offers")
            case .readOnly: (.permissionDenied, "an MCP tool call to an operation that changes state, on a `--read-only` server")
            case .confirmationRequired:
                (.permissionDenied, "a destructive MCP tool call carries no confirmation code: the user must run `hephaestus confirm ID`")
            case .confirmationRefused:
                (.permissionDenied, "a confirmation code is unknown, already used, expired, or was given for another call")
            case .unknownConfirmation: (.notFound, "`hephaestus confirm ID` names no pending confirmation (unknown, expired or already confirmed)")
            case .notATerminal: (.permissionDenied, "`hephaestus confirm` runs only with a person at a terminal (stdin and stdout TTYs)")
            case .confirmationStore:
                (.configuration, "the pending-confirmation file is not private to the user (0600, owned by them), or unreadable")
            }
        }
    }

    public var errorCode: Code {
        switch self {
        case .unknownTool: .unknownTool
        case .readOnly: .readOnly
        case .confirmationRequired: .confirmationRequired
        case .confirmationRefused: .confirmationRefused
        case .unknownConfirmation: .unknownConfirmation
        case .notATerminal: .notATerminal
        case .confirmationStore: .confirmationStore
        }
    }

    public var description: String {
        switch self {
        case .unknownTool(let tool): "no tool named \(tool)"
        case .readOnly(let tool): "\(tool) changes state and this server is read-only (hephaestus mcp --read-only)"
        case .confirmationRequired(let tool, let id):
            "\(tool) is destructive and needs the user's confirmation: ask the user to run `hephaestus confirm \(id)` in a terminal, "
                + "then call \(tool) again with exactly the same arguments and \"confirmationCode\" set to the code it shows"
        case .confirmationRefused(let reason): "confirmation refused: \(reason)"
        case .unknownConfirmation(let id): "no pending confirmation \(id) (unknown, expired or already confirmed)"
        case .notATerminal: "hephaestus confirm needs a person at a terminal: stdin and stdout must be TTYs"
        case .confirmationStore(let path, let reason): "\(path): \(reason)"
        }
    }
}
