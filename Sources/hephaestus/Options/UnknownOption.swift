import ArgumentParser
import Foundation

/// An option the command does not know, reported before anything else that is wrong with the command line.
///
/// ArgumentParser names an unknown option only once the command's required arguments are present and its validation
/// passed, so `verify bundle --cert-identiy X` would first complain that `--bundle` is missing. When a command line
/// fails to parse, its words are checked against the options of the command it names, as the parser itself
/// describes them (`--experimental-dump-help`, what the manual page is generated from), and the first unknown one is
/// reported instead, with the nearest known option when one is close (edit distance at most 2, or a prefix).
struct UnknownOption: Equatable {
    /// The option as typed, without a `=value`.
    let name: String
    /// The known option it is probably a misspelling of.
    let suggestion: String?
    /// The command's full name (`hephaestus verify bundle`).
    let command: String
    /// The command's usage line.
    let usage: String

    /// One line: `Unknown option '--cert-identiy'. Did you mean '--cert-identity'?`
    var message: String {
        "Unknown option '\(name)'" + (suggestion.map { ". Did you mean '\($0)'?" } ?? "")
    }

    /// What ArgumentParser prints for a usage error: the message, the usage, where to find help.
    var fullMessage: String {
        "Error: \(message)\nUsage: \(usage)\n  See '\(command) --help' for more information."
    }

    /// The first unknown option of `arguments` (the words after the program name) when parsing them failed with
    /// `error`; nil when there is none, or when `error` is a request for help, a version or a completion script.
    static func find(in arguments: [String], root: any ParsableCommand.Type, failing error: any Error) -> UnknownOption? {
        guard root.exitCode(for: error) != .success else { return nil }
        // The leaf command the words name: its subcommand names, then the default subcommand of a group.
        var command = root
        var path: [String] = []
        while path.count < arguments.count,
            let next = command.configuration.subcommands.first(where: { $0._commandName == arguments[path.count] })
        {
            command = next
            path.append(next._commandName)
        }
        let optionsStart = path.count
        while let fallback = command.configuration.defaultSubcommand {
            command = fallback
            path.append(fallback._commandName)
        }
        guard command.configuration.subcommands.isEmpty, let options = CommandOptions(root: root, path: path) else { return nil }
        var index = optionsStart
        while index < arguments.count {
            let word = arguments[index]
            index += 1
            if word == "--" { break }
            guard word.hasPrefix("--") else {
                // A short option whose value is the next word, whatever it looks like.
                if options.takesNextWord.contains(word) { index += 1 }
                continue
            }
            let name = word.split(separator: "=", maxSplits: 1).first.map(String.init) ?? word
            if options.names.contains(name) {
                if options.endsParsing.contains(name) { break }
                if options.takesNextWord.contains(name), !word.contains("=") { index += 1 }
                continue
            }
            let fullName = ([root._commandName] + path).joined(separator: " ")
            return UnknownOption(
                name: name, suggestion: nearest(to: name, among: options.names.filter { $0.hasPrefix("--") }), command: fullName,
                usage: root.usageString(for: command))
        }
        return nil
    }

    /// The known option `name` most probably stands for: the closest within an edit distance of 2, else the closest
    /// that starts with it.
    static func nearest(to name: String, among known: Set<String>) -> String? {
        let ranked = known.map { (option: $0, distance: editDistance(name, $0)) }.sorted {
            ($0.distance, $0.option) < ($1.distance, $1.option)
        }
        return ranked.first { $0.distance <= 2 }?.option ?? ranked.first { $0.option.hasPrefix(name) }?.option
    }

    /// The Levenshtein distance between two strings, in characters.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        var previous = Array(0...b.count)
        for (i, characterA) in a.enumerated() {
            var current = [i + 1]
            for (j, characterB) in b.enumerated() {
                current.append(Swift.min(previous[j + 1] + 1, current[j] + 1, previous[j] + (characterA == characterB ? 0 : 1)))
            }
            previous = current
        }
        return previous[b.count]
    }
}

/// The option names of one command, from the parser's own description of it (`--experimental-dump-help`).
private struct CommandOptions {
    /// Every name, with its dashes (`--bundle`, `-q`), built-in flags included.
    var names: Set<String> = ["--help", "-h", "--version", "--experimental-dump-help", "--generate-completion-script"]
    /// Options whose value is always the next word, even one that starts with a dash (`--pip-arg --no-deps`).
    var takesNextWord: Set<String> = []
    /// Options after which every word is theirs.
    var endsParsing: Set<String> = []

    private struct Description: Decodable {
        struct Command: Decodable { let arguments: [Argument]? }
        struct Argument: Decodable {
            let kind: String
            let names: [Name]?
            let parsingStrategy: String?
        }
        struct Name: Decodable {
            let kind: String
            let name: String
        }
        let command: Command
    }

    init?(root: any ParsableCommand.Type, path: [String]) {
        let description: Description
        do {
            _ = try root.parseAsRoot(path + ["--experimental-dump-help"])
            return nil
        } catch {
            guard root.exitCode(for: error) == .success,
                let decoded = try? JSONDecoder().decode(Description.self, from: Data(root.fullMessage(for: error).utf8))
            else { return nil }
            description = decoded
        }
        for argument in description.command.arguments ?? [] {
            let names = (argument.names ?? []).map { ($0.kind == "long" ? "--" : "-") + $0.name }
            self.names.formUnion(names)
            guard argument.kind == "option" else { continue }
            switch argument.parsingStrategy {
            case "unconditional": takesNextWord.formUnion(names)
            case "allRemainingInput", "allUnrecognized": endsParsing.formUnion(names)
            default: break
            }
        }
    }
}
