import HephaestusCore

/// `docs/reference/operations.md`: every operation of the registry, as the CLI, the service and AI agents see it.
public enum OperationReference {
    public static func markdown() -> String {
        var lines = [
            "# Operations",
            "",
            "<!-- Generated from the operation registry (Sources/HephaestusOperations/OperationRegistry.swift) by",
            "     `RECORD_SNAPSHOTS=1 swift test --filter OperationReference`. Do not edit by hand. -->",
            "",
            "Every command is a thin adapter over one operation: the same request, the same report, the same error codes",
            "whichever front end runs it. Effects: **read-only** changes nothing; **idempotent** changes state, and",
            "repeating the same request changes nothing more; **destructive** changes state in a way repeating does not",
            "undo (a transparency-log entry, a deleted release).",
            "",
            "| operation | command | effect | report media type | summary |",
            "|---|---|---|---|---|",
        ]
        for descriptor in OperationRegistry.descriptors {
            let effect = descriptor.effect.rawValue + (descriptor.longRunning ? ", long-running" : "")
            lines.append(
                "| `\(descriptor.name)` | `hephaestus \(descriptor.command)` | \(effect) | `\(descriptor.reportMediaType)` | \(descriptor.summary) |")
        }
        lines += ["", "## Error codes by operation", ""]
        for descriptor in OperationRegistry.descriptors {
            lines.append("- `\(descriptor.name)`: " + descriptor.errorCodes.map { "`\($0)`" }.joined(separator: ", "))
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
