import ArgumentParser
import HephaestusCore
import HephaestusOperations
import Testing

@testable import hephaestus

/// Every command is a thin adapter over a registered operation, and every registered operation has its command.
@Suite("commands and the operation registry")
struct CommandRegistryTests {
    /// Leaf commands, by their full invocation (`verify bundle`).
    static func leaves(_ command: any ParsableCommand.Type, path: [String] = []) -> [(String, any ParsableCommand.Type)] {
        let configuration = command.configuration
        let name = configuration.commandName ?? ""
        let here = path.isEmpty && name == "hephaestus" ? [] : path + [name]
        if configuration.subcommands.isEmpty { return [(here.joined(separator: " "), command)] }
        return configuration.subcommands.flatMap { leaves($0, path: here) }
    }

    /// Commands that print documentation, or front ends over the registry (the MCP server and its confirmations), not
    /// the result of an operation.
    static let documentationCommands: Set<String> = ["exit-codes", "mcp", "confirm"]

    /// Former command names kept as hidden aliases, and the command each runs.
    static let aliases = ["tools refactor rankings": "analytics rankings"]
    /// Commands that run another executable (`serve` runs hephaestus-server, whose routes cover the registry).
    static let launcherCommands: Set<String> = ["serve"]

    @Test("each leaf command adapts operations, and together they cover the registry")
    func commandsCoverRegistry() {
        var adapted: [String: [String]] = [:]
        for (invocation, command) in Self.leaves(Hephaestus.self) {
            let descriptors: [OperationDescriptor]
            if let adapter = command as? any OperationCommand.Type {
                descriptors = adapter.operationDescriptors
            } else if command == Hephaestus.Digest.self {
                descriptors = Hephaestus.Digest.operationDescriptors
            } else {
                #expect(
                    Self.documentationCommands.contains(invocation) || Self.launcherCommands.contains(invocation),
                    "`hephaestus \(invocation)` is not an adapter over an operation")
                continue
            }
            for descriptor in descriptors {
                adapted[descriptor.name, default: []].append(invocation)
                #expect(
                    descriptor.command.hasPrefix(invocation) || invocation.hasPrefix("conformance ")
                        || Self.aliases[invocation] == descriptor.command,
                    "\(descriptor.name) says it runs as `\(descriptor.command)`, not `\(invocation)`")
            }
        }
        for descriptor in OperationRegistry.descriptors {
            #expect(adapted[descriptor.name] != nil, "no command runs \(descriptor.name)")
        }
        #expect(Set(adapted.keys) == Set(OperationRegistry.descriptors.map(\.name)), "a command runs an unregistered operation")
    }
}
