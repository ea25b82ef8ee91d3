import ArgumentParser
import Foundation
import HephaestusSigstore

/// The command line as ArgumentParser describes it (`ToolInfoV0`, what `--experimental-dump-help` prints), with each
/// argument's value type (`valueType`: `string`, `integer`, `number` or `boolean`), read from the type of the property
/// that declares it.
enum CommandLineDescription {
    static func toolInfo() -> JSONValue {
        guard case .object(var document) = (try? JSONValue.parse(Array(Hephaestus._dumpHelp().utf8))) ?? .null,
            let root = document["command"]
        else { return .null }
        document["command"] = annotate(root, type: Hephaestus.self)
        return .object(document)
    }

    /// A command's arguments with their value types, then its subcommands', matched to their types by name.
    private static func annotate(_ command: JSONValue, type: (any ParsableCommand.Type)?) -> JSONValue {
        guard case .object(var fields) = command else { return command }
        let declared = type.map { DeclaredArguments(of: $0) }
        if case .array(let arguments)? = fields["arguments"] {
            var positional = 0
            fields["arguments"] = .array(
                arguments.map { argument in
                    guard case .object(var argumentFields) = argument else { return argument }
                    let kind = argumentFields["kind"]
                    var valueType: String?
                    if kind == "positional" {
                        valueType = declared?.positional.indices.contains(positional) == true ? declared?.positional[positional] : nil
                        positional += 1
                    } else if case .array(let names)? = argumentFields["names"] {
                        valueType =
                            names.lazy.compactMap { name -> String? in
                                guard name.member("kind") == "long", case .string(let long)? = name.member("name") else { return nil }
                                return declared?.named[long]
                            }.first
                    }
                    argumentFields["valueType"] = .string(valueType ?? (kind == "flag" ? "boolean" : "string"))
                    return .object(argumentFields)
                })
        }
        if case .array(let subcommands)? = fields["subcommands"] {
            let types = type?.configuration.subcommands ?? []
            fields["subcommands"] = .array(
                subcommands.map { subcommand in
                    annotate(subcommand, type: types.first { .string($0._commandName) == subcommand.member("commandName") })
                })
        }
        return .object(fields)
    }
}

/// The value types of the arguments a command's properties declare: named ones by long name, positional ones in order.
private struct DeclaredArguments {
    var named: [String: String] = [:]
    var positional: [String] = []

    init(of command: any ParsableCommand.Type) {
        collect(Mirror(reflecting: command.init()))
    }

    private mutating func collect(_ mirror: Mirror) {
        for child in mirror.children {
            guard let label = child.label?.dropFirst() else { continue }
            if let group = child.value as? any DeclaredGroup {
                collect(Mirror(reflecting: group.groupType.init()))
            } else if let argument = child.value as? any DeclaredValue {
                let type = Self.jsonType(argument.valueType)
                if argument.isPositional { positional.append(type) } else { named[Self.longName(String(label))] = type }
            }
        }
    }

    /// ArgumentParser's default long name of a property: `certificateOidcIssuer` → `certificate-oidc-issuer`,
    /// `apiURL` → `api-url`.
    static func longName(_ property: String) -> String {
        var words: [String] = []
        var word = ""
        let characters = Array(property)
        for (index, character) in characters.enumerated() {
            let nextIsLower = index + 1 < characters.count && characters[index + 1].isLowercase
            let previousIsLower = index > 0 && (characters[index - 1].isLowercase || characters[index - 1].isNumber)
            if character.isUppercase, !word.isEmpty, previousIsLower || nextIsLower {
                words.append(word)
                word = ""
            }
            word.append(character)
        }
        if !word.isEmpty { words.append(word) }
        return words.map { $0.lowercased() }.joined(separator: "-")
    }

    static func jsonType(_ type: Any.Type) -> String {
        switch type {
        case let optional as any OptionalValue.Type: jsonType(optional.wrappedType)
        case let array as any ArrayValue.Type: jsonType(array.elementType)
        case is Bool.Type: "boolean"
        case is Int.Type, is Int64.Type, is Int32.Type, is UInt.Type, is UInt64.Type, is UInt32.Type: "integer"
        case is Double.Type, is Float.Type: "number"
        default: "string"
        }
    }
}

private protocol DeclaredGroup { var groupType: any ParsableArguments.Type { get } }
private protocol DeclaredValue {
    var valueType: Any.Type { get }
    var isPositional: Bool { get }
}
private protocol OptionalValue { static var wrappedType: Any.Type { get } }
private protocol ArrayValue { static var elementType: Any.Type { get } }

extension OptionGroup: DeclaredGroup {
    fileprivate var groupType: any ParsableArguments.Type { Value.self }
}

extension Option: DeclaredValue {
    fileprivate var valueType: Any.Type { Value.self }
    fileprivate var isPositional: Bool { false }
}

extension Flag: DeclaredValue {
    fileprivate var valueType: Any.Type { Value.self }
    fileprivate var isPositional: Bool { false }
}

extension Argument: DeclaredValue {
    fileprivate var valueType: Any.Type { Value.self }
    fileprivate var isPositional: Bool { true }
}

extension Optional: OptionalValue {
    fileprivate static var wrappedType: Any.Type { Wrapped.self }
}

extension Array: ArrayValue {
    fileprivate static var elementType: Any.Type { Element.self }
}
