import Foundation
import HephaestusOperations
import HephaestusPlatform
import Testing

/// A type that the source tree declares conforming to `CodedError`, found by reading the source (no hand-kept list).
struct CodedErrorDeclaration: Equatable, CustomStringConvertible {
    /// Its name as `String(describing:)` gives it: the last component (`Malformed` for `BatchRequest.Malformed`).
    let typeName: String
    /// The type whose `Code` enum it uses: itself, or the type named in `var` (or `let`) `errorCode: Other.Code` or
    /// `typealias Code = Other.Code`.
    let codeOwner: String
    /// The file that declares it, relative to the repository.
    let file: String

    var description: String { "\(typeName) (\(file))" }
}

enum CodedErrorScanner {
    /// `Sources/` of the repository this file is in: the first ancestor holding `Package.swift` and `Sources/`.
    static func sourcesDirectory(from filePath: String = #filePath) -> URL? {
        var directory = URL(fileURLWithPath: filePath).deletingLastPathComponent()
        while directory.path != "/" {
            let sources = directory.appendingPathComponent("Sources")
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path),
                FileManager.default.fileExists(atPath: sources.path)
            {
                return sources
            }
            directory.deleteLastPathComponent()
        }
        return nil
    }

    /// Every `CodedError` conformance declared in the Swift files under `sources`.
    static func scan(_ sources: URL) throws -> [CodedErrorDeclaration] {
        let root = sources.deletingLastPathComponent().standardizedFileURL.path + "/"
        guard let files = FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil) else { return [] }
        var found: [CodedErrorDeclaration] = []
        for case let url as URL in files where url.pathExtension == "swift" {
            let path = url.standardizedFileURL.path
            let relative = path.hasPrefix(root) ? String(path.dropFirst(root.count)) : path
            found += declarations(in: try String(contentsOf: url, encoding: .utf8), file: relative)
        }
        return found.sorted { ($0.file, $0.typeName) < ($1.file, $1.typeName) }
    }

    /// `enum X: … CodedError …`, `struct X: … CodedError …`, `class`, `actor`, and `extension X: … CodedError …`.
    nonisolated(unsafe) static let header = try! Regex(
        #"\b(?:enum|struct|class|actor|extension)\s+([A-Za-z_][A-Za-z0-9_.]*)\s*(?:<[^>{]*>)?\s*:\s*([^{]*)\{"#)
    /// The declaration of the codes a type uses: its own `enum Code`, or another type's.
    nonisolated(unsafe) static let ownCodes = try! Regex(#"\benum\s+Code\b"#)
    /// An area whose error is the generic code-and-message one: `typealias TUFError = CodedFailure<TUFErrorCode>`.
    nonisolated(unsafe) static let codedFailureAlias = try! Regex(
        #"\btypealias\s+[A-Za-z_][A-Za-z0-9_]*\s*=\s*CodedFailure<([A-Za-z_][A-Za-z0-9_.]*)>"#)
    nonisolated(unsafe) static let borrowedCodes = try! Regex(
        #"\b(?:typealias\s+Code\s*=|(?:var|let)\s+errorCode\s*:)\s*([A-Za-z_][A-Za-z0-9_.]*)\.Code\b"#)

    static func declarations(in source: String, file: String) -> [CodedErrorDeclaration] {
        // Comment lines are blanked, so that documentation mentioning a conformance is not taken for one.
        let text = source.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces).hasPrefix("//") ? "" : String($0) }
            .joined(separator: "\n")
        var found: [CodedErrorDeclaration] = []
        for match in text.matches(of: header) {
            guard let name = match.output[1].substring, let inherited = match.output[2].substring else { continue }
            let list = inherited.components(separatedBy: " where ").first ?? ""
            let conforms = list.split(separator: ",").contains {
                $0.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").last == "CodedError"
            }
            // A generic conformance (CodedFailure<Code>) is declared for each area by a typealias, found below.
            guard conforms, !match.output[0].substring!.prefix(while: { $0 != ":" }).contains("<") else { continue }
            let typeName = String(name.split(separator: ".").last ?? name)
            let body = Self.body(in: text, openingBrace: text.index(before: match.range.upperBound))
            var owner = typeName
            if body.firstMatch(of: ownCodes) == nil, let borrowed = body.firstMatch(of: borrowedCodes),
                let other = borrowed.output[1].substring
            {
                owner = String(other.split(separator: ".").last ?? other)
            }
            found.append(CodedErrorDeclaration(typeName: typeName, codeOwner: owner, file: file))
        }
        for match in text.matches(of: codedFailureAlias) {
            guard let code = match.output[1].substring else { continue }
            let typeName = "CodedFailure<\(code.split(separator: ".").last ?? code)>"
            found.append(CodedErrorDeclaration(typeName: typeName, codeOwner: typeName, file: file))
        }
        return found
    }

    /// The text from `openingBrace` to its matching closing brace.
    static func body(in text: String, openingBrace: String.Index) -> Substring {
        var depth = 0
        var index = openingBrace
        while index < text.endIndex {
            switch text[index] {
            case "{": depth += 1
            case "}":
                depth -= 1
                if depth == 0 { return text[openingBrace...index] }
            default: break
            }
            index = text.index(after: index)
        }
        return text[openingBrace...]
    }
}

@Suite("Error catalogue")
struct ErrorCatalogueTests {
    @Test("Every type in Sources/ conforming to CodedError has its codes in ErrorCatalogue")
    func complete() throws {
        let sources = try #require(CodedErrorScanner.sourcesDirectory(), "no Sources/ above \(#filePath)")
        let declarations = try CodedErrorScanner.scan(sources)
        let catalogued = Set(ErrorCatalogue.errorTypeNames)
        for declaration in declarations where !catalogued.contains(declaration.codeOwner) {
            let missing =
                declaration.codeOwner == declaration.typeName
                ? "\(declaration) conforms to CodedError but is not in ErrorCatalogue.errorTypes"
                : "\(declaration) uses the codes of \(declaration.codeOwner), which is not in ErrorCatalogue.errorTypes"
            Issue.record("\(missing) (Sources/HephaestusOperations/ErrorCatalogue.swift): its codes are missing from docs/reference/exit-codes.md")
        }
        // The scan itself works: it finds every catalogued type.
        let found = Set(declarations.map(\.typeName))
        for name in ErrorCatalogue.errorTypeNames {
            #expect(found.contains(name), "the scan of \(sources.path) did not find \(name), which is catalogued")
        }
    }

    @Test("The scan finds enums, structs, extensions and CodedFailure typealiases and whose codes each uses, and skips comments")
    func scanner() {
        let source = """
            /// A doc comment: enum Commented: CodedError {}
            public enum AreaError: CodedError, Equatable {
                case broken(String)
                public enum Code: String, ErrorCode {
                    case broken = "area.broken"
                    public var definition: (category: ErrorCategory, summary: String) { (.internalError, "{") }
                }
                public var errorCode: Code { .broken }
            }
            struct Outer {
                struct Malformed: Sendable, CodedError {
                    var errorCode: VerificationError.Code { .invalidPolicy }
                }
            }
            extension Module.Foreign: HephaestusPlatform.CodedError where T: Sendable {
                var errorCode: Code { .x }
            }
            enum NotAnError: String, CaseIterable { case a }
            public struct Generic<Code: ErrorCode>: CodedError { let errorCode: Code }
            public typealias LedgerError = CodedFailure<LedgerErrorCode>
            """
        let found = CodedErrorScanner.declarations(in: source, file: "X.swift")
        #expect(
            found == [
                CodedErrorDeclaration(typeName: "AreaError", codeOwner: "AreaError", file: "X.swift"),
                CodedErrorDeclaration(typeName: "Malformed", codeOwner: "VerificationError", file: "X.swift"),
                CodedErrorDeclaration(typeName: "Foreign", codeOwner: "Foreign", file: "X.swift"),
                CodedErrorDeclaration(typeName: "CodedFailure<LedgerErrorCode>", codeOwner: "CodedFailure<LedgerErrorCode>", file: "X.swift"),
            ], "a generic conformance is declared per area by its typealias")
    }

    @Test("Every code's category and summary come from its declaration")
    func entries() {
        let entry = ErrorCatalogue.entries.first { $0.code == FileError.Code.alreadyExists.rawValue }
        #expect(entry?.category == .outputExists)
        #expect(entry?.errorType == "FileError")
        #expect(FileError.alreadyExists(path: "x").category == .outputExists)
        for entry in ErrorCatalogue.entries {
            #expect(!entry.summary.isEmpty, "\(entry.code)")
            #expect(entry.code.contains("."), "\(entry.code)")
        }
    }
}
