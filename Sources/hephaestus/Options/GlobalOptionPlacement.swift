import ArgumentParser

/// Lets global options precede the subcommand (`hephaestus --log-format json digest FILE`).
///
/// ArgumentParser only parses a subcommand's options after its name, and every subcommand carries the global options
/// in its own `@OptionGroup`; so leading global options are moved to just after the subcommand path.
enum GlobalOptionPlacement {
    /// Global options that take a value.
    static let valued: Set<String> = ["--log-format", "--log-level", "--metrics-file"]
    /// Global flags.
    static let flags: Set<String> = ["-q", "--quiet", "-v", "--verbose"]

    static func movingGlobalOptions(in arguments: [String], root: any ParsableCommand.Type) -> [String] {
        var leading: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            let name = argument.split(separator: "=", maxSplits: 1).first.map(String.init) ?? argument
            if flags.contains(argument) {
                leading.append(argument)
                index += 1
            } else if valued.contains(name) {
                leading.append(argument)
                if !argument.contains("="), index + 1 < arguments.count {
                    leading.append(arguments[index + 1])
                    index += 1
                }
                index += 1
            } else {
                break
            }
        }
        guard !leading.isEmpty else { return arguments }
        var rest = Array(arguments[index...])
        // Walk the subcommand path: each name that matches a subcommand of the current command.
        var command: any ParsableCommand.Type = root
        var pathLength = 0
        while pathLength < rest.count,
            let next = command.configuration.subcommands.first(where: { $0._commandName == rest[pathLength] })
        {
            command = next
            pathLength += 1
        }
        guard pathLength > 0 else { return arguments }
        rest.insert(contentsOf: leading, at: pathLength)
        return rest
    }

    /// `--lifetime -60`: ArgumentParser reads an argument starting with `-` as an option, never as a value ("Missing
    /// value for '--lifetime'"), so a negative number following a long option is attached to it (`--lifetime=-60`),
    /// which it parses as the value. Only numbers are attached (an option's value cannot be an option, and a number
    /// cannot be one either); nothing after `--` is touched. Runs before ``movingGlobalOptions(in:root:)``, which
    /// reads the attached form like any `--option=value`.
    static func attachingNegativeNumbers(in arguments: [String]) -> [String] {
        var result: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--" {
                result += arguments[index...]
                break
            }
            if argument.hasPrefix("--"), !argument.contains("="), index + 1 < arguments.count,
                isNegativeNumber(arguments[index + 1])
            {
                result.append(argument + "=" + arguments[index + 1])
                index += 2
            } else {
                result.append(argument)
                index += 1
            }
        }
        return result
    }

    /// Whether `text` is a negative decimal number: `-` then digits with an optional fraction (`-60`, `-1.5`, `-2.`,
    /// `-.5`) and an optional exponent (`-1e3`, `-2.5E-2`). Checked by hand: a regex here would be compiled at every start
    /// of every command (about 0.5 ms).
    static func isNegativeNumber(_ text: String) -> Bool {
        var bytes = text.utf8[...]
        func digits() -> Int {
            let count = bytes.prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }.count
            bytes = bytes.dropFirst(count)
            return count
        }
        guard bytes.popFirst() == UInt8(ascii: "-") else { return false }
        let whole = digits()
        var fraction = 0
        if bytes.first == UInt8(ascii: ".") {
            bytes = bytes.dropFirst()
            fraction = digits()
            // `-2.` is a number (digits before the point); `-.` is not.
            guard whole > 0 || fraction > 0 else { return false }
        } else if whole == 0 {
            return false
        }
        if let exponent = bytes.first, exponent == UInt8(ascii: "e") || exponent == UInt8(ascii: "E") {
            bytes = bytes.dropFirst()
            if let sign = bytes.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
            guard digits() > 0 else { return false }
        }
        return bytes.isEmpty
    }

    /// True when the command line asks for JSON log records.
    static func requestsJSONLogs(_ arguments: [String]) -> Bool {
        for (index, argument) in arguments.enumerated() {
            if argument == "--log-format=json" { return true }
            if argument == "--log-format", index + 1 < arguments.count, arguments[index + 1] == "json" { return true }
        }
        return false
    }
}
