import Foundation

/// Python core metadata (METADATA / PKG-INFO, RFC 822 style): header fields (repeatable), continuation lines, and the
/// description in the body or the `Description` field.
public struct CoreMetadata: Sendable {
    public static let knownVersions: Set<String> = ["1.0", "1.1", "1.2", "2.0", "2.1", "2.2", "2.3", "2.4"]

    public private(set) var fields: [(name: String, value: String)] = []
    public let body: String

    public init(_ text: String) {
        var fields: [(String, String)] = []
        var lines = text.replacingOccurrences(of: "\r\n", with: "\n").components(separatedBy: "\n")[...]
        while let line = lines.first {
            lines = lines.dropFirst()
            if line.isEmpty { break }
            if line.hasPrefix(" ") || line.hasPrefix("\t"), !fields.isEmpty {
                // Continuation (Description fields use "       |" prefixes, 8 spaces).
                let continued = line.hasPrefix("       |") ? String(line.dropFirst(8)) : line.trimmingCharacters(in: .whitespaces)
                fields[fields.count - 1].1 += "\n" + continued
                continue
            }
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        self.fields = fields
        body = lines.joined(separator: "\n")
    }

    public func value(_ name: String) -> String? { fields.first { $0.name.lowercased() == name.lowercased() }?.value }
    public func values(_ name: String) -> [String] { fields.filter { $0.name.lowercased() == name.lowercased() }.map(\.value) }

    /// The long description: the body (metadata 2.1+) or the `Description` field.
    public var description: String? {
        let text = body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? value("Description") : body
        guard let text, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return nil }
        return text
    }

    /// The description's content type without parameters, `text/x-rst` when absent (as PyPI assumes).
    public var descriptionContentType: String {
        (value("Description-Content-Type")?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }) ?? "text/x-rst"
    }
}

/// What `twine check` checks about a long description: the content type is one PyPI renders, and a
/// reStructuredText description has nothing docutils would report at WARNING level or above
/// (``ReStructuredTextLint``). Markdown and plain text always render.
public enum DescriptionCheck {
    public static let renderable: Set<String> = ["text/plain", "text/x-rst", "text/markdown"]

    /// The first problem, or nil when the description renders.
    public static func problem(in text: String, contentType: String) -> String? {
        guard renderable.contains(contentType) else {
            return "Description-Content-Type \(contentType) is not one PyPI renders (text/plain, text/x-rst, text/markdown)"
        }
        guard contentType == "text/x-rst" else { return nil }
        // docutils' messages end with a period; the caller's sentence goes on.
        return ReStructuredTextLint.firstProblem(in: text).map { String($0.description.trimmingSuffix(".")) }
    }
}

extension String {
    /// The string without one trailing `suffix`, if it ends with it.
    func trimmingSuffix(_ suffix: String) -> Substring {
        hasSuffix(suffix) ? dropLast(suffix.count) : self[...]
    }
}
