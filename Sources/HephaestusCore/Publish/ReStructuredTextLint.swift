import Foundation

/// Finds what docutils reports at WARNING level or above in a reStructuredText document — the level at which PyPI's
/// readme_renderer (so `twine check`, and the upload API) refuses a long description.
///
/// Not a renderer: it follows the block structure (sections, lists, definition and field lists, explicit markup,
/// literal blocks, tables) and the inline markup far enough to find the problems real READMEs have: short or
/// mismatched title adornments, inconsistent title levels, titles inside nested blocks, constructs ending without a
/// blank line, unexpected indentation, missing literal blocks, unknown or disabled directives and roles, unknown
/// directive options, inline markup without its end-string, unknown targets, anonymous-reference mismatches,
/// undefined substitutions and footnotes. The test suite checks its verdicts against `twine check`.
public struct ReStructuredTextLint {
    public struct Problem: CustomStringConvertible, Sendable {
        public let line: Int
        public let message: String
        public var description: String { "line \(line): \(message)" }
    }

    /// The first problem (by line), or nil when the document renders.
    public static func firstProblem(in text: String) -> Problem? {
        var linter = Linter(text)
        linter.run()
        return linter.problems.min { $0.line < $1.line }
    }
}

private struct Line {
    let number: Int
    let text: String

    var isBlank: Bool { text.allSatisfy { $0 == " " } }
    var indentation: Int { text.prefix { $0 == " " }.count }
    func dedented(by columns: Int) -> Line { Line(number: number, text: String(text.dropFirst(min(columns, indentation)))) }
}

private struct Linter {
    var problems: [ReStructuredTextLint.Problem] = []
    private let document: [Line]
    private var targets: Set<String> = []
    private var explicitTargets: [String: String] = [:]
    private var anonymousTargets = 0
    private var substitutions: Set<String> = []
    private var footnoteLabels: Set<String> = []
    private var autoFootnotes = 0
    private var references: [(name: String, line: Int)] = []
    private var anonymousReferences: [Int] = []
    private var substitutionReferences: [(name: String, line: Int)] = []
    private var footnoteReferences: [(label: String, line: Int)] = []
    private var titleStyles: [String] = []
    private var titleLevel = 0

    init(_ text: String) {
        let normalised = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        document = normalised.components(separatedBy: "\n").enumerated().map { index, raw in
            var expanded = ""
            for character in raw {
                if character == "\t" {
                    expanded += String(repeating: " ", count: 8 - expanded.count % 8)
                } else if character == "\u{0B}" || character == "\u{0C}" {
                    expanded += " "
                } else {
                    expanded.append(character)
                }
            }
            while expanded.hasSuffix(" ") { expanded.removeLast() }
            return Line(number: index + 1, text: expanded)
        }
    }

    mutating func run() {
        body(document[...], nested: false)
        resolveReferences()
    }

    private mutating func report(_ line: Int, _ message: String) {
        problems.append(.init(line: line, message: message))
    }

    // MARK: Blocks

    /// The end of the block starting at `start` whose lines are blank or indented at least `minimum`, without trailing
    /// blank lines.
    private func blockEnd(_ lines: ArraySlice<Line>, from start: Int, minimum: Int) -> Int {
        var end = start
        while end < lines.endIndex, lines[end].isBlank || lines[end].indentation >= minimum { end += 1 }
        while end > start, lines[end - 1].isBlank { end -= 1 }
        return end
    }

    /// The lines `start..<end` with their common indentation removed.
    private func dedent(_ lines: ArraySlice<Line>, _ range: Range<Int>) -> [Line] {
        let common = lines[range].filter { !$0.isBlank }.map(\.indentation).min() ?? 0
        return lines[range].map { $0.dedented(by: common) }
    }

    private mutating func body(_ lines: ArraySlice<Line>, nested: Bool) {
        var index = lines.startIndex
        while index < lines.endIndex {
            let line = lines[index]
            if line.isBlank {
                index += 1
                continue
            }
            if line.indentation > 0 {
                let end = blockEnd(lines, from: index, minimum: 1)
                body(dedent(lines, index..<end)[...], nested: true)
                index = unindentCheck(lines, end, "Block quote")
                continue
            }
            let text = line.text
            if Self.isExplicitMarkupStart(text) {
                index = explicitMarkup(lines, index, nested: nested)
            } else if text.hasPrefix("+-") || text.hasPrefix("+=") || Self.isSimpleTableBorder(text) {
                index = skipUntilBlank(lines, index, table: !text.hasPrefix("+"))
            } else if text.hasPrefix(">>>") || text.hasPrefix("| ") || text == "|" {
                index = inlineLinesUntilBlank(lines, index)
            } else if let columns = Self.bullet(text) {
                index = listItem(lines, index, columns: columns, kind: "Bullet list") { Self.bullet($0) != nil && $0.first == text.first }
            } else if let columns = Self.enumerator(text), Self.isListItemStart(lines, index) {
                index = listItem(lines, index, columns: columns, kind: "Enumerated list") { Self.enumerator($0) != nil }
            } else if let columns = Self.fieldMarker(text) {
                index = listItem(lines, index, columns: columns, kind: "Field list") { Self.fieldMarker($0) != nil }
            } else if let columns = Self.optionMarker(text) {
                index = listItem(lines, index, columns: columns, kind: "Option list") { Self.optionMarker($0) != nil }
            } else if let next = sectionTitle(lines, index, nested: nested) {
                index = next
            } else {
                index = paragraph(lines, index, nested: nested)
            }
        }
    }

    /// After a construct ending at `end`: a non-blank line right there is an unindent without a blank line.
    private mutating func unindentCheck(_ lines: ArraySlice<Line>, _ end: Int, _ construct: String, continues: ((String) -> Bool)? = nil) -> Int {
        if end < lines.endIndex, !lines[end].isBlank, continues?(lines[end].text) != true {
            report(lines[end].number, "\(construct) ends without a blank line; unexpected unindent.")
        }
        return end
    }

    private mutating func skipUntilBlank(_ lines: ArraySlice<Line>, _ start: Int, table: Bool) -> Int {
        var index = start + 1
        if table {
            // A simple table ends at a border followed by a blank line (or the end).
            while index < lines.endIndex {
                if Self.isSimpleTableBorder(lines[index].text), index + 1 == lines.endIndex || lines[index + 1].isBlank { return index + 1 }
                index += 1
            }
            return index
        }
        while index < lines.endIndex, !lines[index].isBlank { index += 1 }
        return index
    }

    private mutating func inlineLinesUntilBlank(_ lines: ArraySlice<Line>, _ start: Int) -> Int {
        var index = start
        let doctest = lines[start].text.hasPrefix(">>>")
        while index < lines.endIndex, !lines[index].isBlank {
            if !doctest { inline(String(lines[index].text.drop { $0 == "|" || $0 == " " }), line: lines[index].number) }
            index += 1
        }
        return index
    }

    private mutating func listItem(
        _ lines: ArraySlice<Line>, _ start: Int, columns: Int, kind: String, sameList: @escaping (String) -> Bool
    ) -> Int {
        var index = start
        while true {
            let marker = lines[index].text
            let markerColumns =
                kind == "Bullet list"
                ? Self.bullet(marker)
                : kind == "Enumerated list" ? Self.enumerator(marker) : kind == "Field list" ? Self.fieldMarker(marker) : Self.optionMarker(marker)
            let width = markerColumns ?? columns
            let first = Line(number: lines[index].number, text: String(marker.dropFirst(width)))
            let end: Int
            let rest: [Line]
            if kind == "Bullet list" || kind == "Enumerated list", !first.isBlank {
                // docutils' known indentation: the item's lines are those indented at least to its text, cut there.
                end = blockEnd(lines, from: index + 1, minimum: width)
                rest = lines[(index + 1)..<end].map { $0.dedented(by: width) }
            } else {
                end = blockEnd(lines, from: index + 1, minimum: 1)
                rest = dedent(lines, (index + 1)..<end)
            }
            if kind == "Field list" { inline(String(marker.prefix(width)), line: first.number) }
            body(([first] + rest)[...], nested: true)
            index = end
            guard index < lines.endIndex, !lines[index].isBlank, sameList(lines[index].text) else { break }
        }
        return unindentCheck(lines, index, kind)
    }

    private mutating func paragraph(_ lines: ArraySlice<Line>, _ start: Int, nested: Bool) -> Int {
        var end = start
        while end < lines.endIndex, !lines[end].isBlank, lines[end].indentation == 0 { end += 1 }
        let text = lines[start..<end].map(\.text).joined(separator: "\n")
        if end < lines.endIndex, !lines[end].isBlank {
            // Followed directly by an indented line: a definition list item when the paragraph is one line.
            guard end - start == 1 else {
                report(lines[end].number, "Unexpected indentation.")
                inline(text, line: lines[start].number)
                return blockEnd(lines, from: end, minimum: 1)
            }
            var index = start
            while true {
                inline(lines[index].text, line: lines[index].number)
                let definitionEnd = blockEnd(lines, from: index + 1, minimum: 1)
                body(dedent(lines, (index + 1)..<definitionEnd)[...], nested: true)
                index = definitionEnd
                guard index + 1 < lines.endIndex, !lines[index].isBlank, lines[index].indentation == 0,
                    !lines[index + 1].isBlank, lines[index + 1].indentation > 0
                else { break }
            }
            return unindentCheck(lines, index, "Definition list")
        }
        inline(text, line: lines[start].number)
        guard text.hasSuffix("::") else { return end }
        var next = end
        while next < lines.endIndex, lines[next].isBlank { next += 1 }
        if next == lines.endIndex {
            report(lines[end - 1].number, "Literal block expected; none found.")
            return next
        }
        if lines[next].indentation > 0 {
            return unindentCheck(lines, blockEnd(lines, from: next, minimum: 1), "Literal block")
        }
        if let first = lines[next].text.first, first.isPunctuation || first.isSymbol {
            var quoted = next
            while quoted < lines.endIndex, !lines[quoted].isBlank, lines[quoted].text.first == first { quoted += 1 }
            return quoted
        }
        report(lines[next].number, "Literal block expected; none found.")
        return next
    }

    // MARK: Section titles

    static func isAdornment(_ text: String) -> Bool {
        guard let first = text.first, first.isASCII, !first.isLetter, !first.isNumber, first != " " else { return false }
        return text.allSatisfy { $0 == first }
    }

    /// Handles a title at `index` (returns the next line), or nil when the lines there are no title.
    private mutating func sectionTitle(_ lines: ArraySlice<Line>, _ index: Int, nested: Bool) -> Int? {
        let line = lines[index]
        let hasNext = index + 1 < lines.endIndex && !lines[index + 1].isBlank
        if Self.isAdornment(line.text) {
            guard hasNext else { return line.text.count >= 4 ? index + 1 : nil }  // a transition, or text
            guard line.text.count >= 4 else { return nil }
            let title = lines[index + 1].text.trimmingCharacters(in: .whitespaces)
            if Self.isAdornment(lines[index + 1].text) { return nil }
            guard index + 2 < lines.endIndex, Self.isAdornment(lines[index + 2].text) else {
                report(line.number, "Missing matching underline for section title overline.")
                return index + 2
            }
            if nested { report(line.number, "Unexpected section title.") }
            if lines[index + 2].text != line.text { report(line.number, "Title overline & underline mismatch.") }
            if title.count > line.text.count { report(line.number, "Title overline too short.") }
            recordTitle(title, style: "over" + String(line.text.first!), line: line.number)
            return index + 3
        }
        guard hasNext, Self.isAdornment(lines[index + 1].text) else { return nil }
        let underline = lines[index + 1].text
        let title = line.text
        if title.count > underline.count {
            if underline.count < 4 { return nil }
            report(lines[index + 1].number, "Title underline too short.")
        }
        if nested {
            report(line.number, "Unexpected section title.")
            return index + 2
        }
        recordTitle(title, style: "under" + String(underline.first!), line: line.number)
        if index + 2 < lines.endIndex, !lines[index + 2].isBlank, lines[index + 2].indentation > 0 {
            report(lines[index + 2].number, "Unexpected indentation.")
        }
        return index + 2
    }

    private mutating func recordTitle(_ title: String, style: String, line: Int) {
        if let known = titleStyles.firstIndex(of: style) {
            if known + 1 > titleLevel + 1 { report(line, "Title level inconsistent.") }
            titleLevel = known + 1
        } else {
            if titleLevel != titleStyles.count { report(line, "Title level inconsistent.") }
            titleStyles.append(style)
            titleLevel = titleStyles.count
        }
        targets.insert(Self.normalise(title))
        inline(title, line: line)
    }

    // MARK: Explicit markup

    private static let directivesWithBody: Set<String> = [
        "attention", "caution", "danger", "error", "hint", "important", "note", "tip", "warning", "admonition", "topic", "sidebar",
        "container", "compound", "epigraph", "highlights", "pull-quote", "rubric", "line-block", "table", "list-table", "class",
    ]
    private static let directivesWithoutBody: Set<String> = [
        "code", "code-block", "sourcecode", "math", "parsed-literal", "csv-table", "image", "figure", "contents", "sectnum",
        "section-numbering", "header", "footer", "target-notes", "meta", "replace", "unicode", "date", "role", "default-role", "title",
    ]
    private static let disabledDirectives: Set<String> = ["raw", "include"]
    private static let directiveOptions: [String: Set<String>] = [
        "image": ["alt", "height", "width", "scale", "align", "target", "class", "name", "loading"],
        "figure": ["alt", "height", "width", "scale", "align", "target", "class", "name", "loading", "figwidth", "figclass"],
        "code": ["number-lines", "class", "name"], "code-block": ["number-lines", "class", "name"], "sourcecode": ["number-lines", "class", "name"],
        "contents": ["depth", "local", "backlinks", "class"],
        "note": ["class", "name"], "warning": ["class", "name"], "tip": ["class", "name"], "hint": ["class", "name"],
        "important": ["class", "name"], "caution": ["class", "name"], "danger": ["class", "name"], "attention": ["class", "name"],
        "error": ["class", "name"], "admonition": ["class", "name"], "topic": ["class", "name"],
    ]

    private mutating func explicitMarkup(_ lines: ArraySlice<Line>, _ start: Int, nested: Bool) -> Int {
        var index = start
        while true {
            let line = lines[index]
            let end = blockEnd(lines, from: index + 1, minimum: 1)
            let rest = String(line.text.dropFirst(2).drop { $0 == " " })
            let block = dedent(lines, (index + 1)..<end)
            if line.text == "__" || line.text.hasPrefix("__ ") {
                anonymousTargets += 1  // the short anonymous target form, `__ URI`
            } else if rest.hasPrefix("_") {
                hyperlinkTarget(rest, continuation: block, line: line.number)
            } else if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
                let label = String(rest[rest.index(after: rest.startIndex)..<close])
                if label == "#" { autoFootnotes += 1 } else { footnoteLabels.insert(Self.normalise(label)) }
                let first = Line(number: line.number, text: String(rest[rest.index(after: close)...]).trimmingCharacters(in: .whitespaces))
                body(([first] + block)[...], nested: true)
            } else if rest.hasPrefix("|"), let close = rest.dropFirst().firstIndex(of: "|") {
                substitutions.insert(Self.normalise(String(rest[rest.index(after: rest.startIndex)..<close])))
                let definition = String(rest[rest.index(after: close)...]).trimmingCharacters(in: .whitespaces)
                if let (name, _) = Self.directive(definition) { directive(name, block: block, line: line.number) }
            } else if let (name, argument) = Self.directive(rest) {
                directive(name, block: block, line: line.number)
                if name == "admonition" || name == "topic" || name == "sidebar" || name == "rubric" { inline(argument, line: line.number) }
            }
            index = end
            guard index < lines.endIndex, !lines[index].isBlank, Self.isExplicitMarkupStart(lines[index].text) else { break }
        }
        return unindentCheck(lines, index, "Explicit markup")
    }

    /// `..` constructs and the short anonymous target form `__ URI`.
    static func isExplicitMarkupStart(_ text: String) -> Bool {
        text == ".." || text.hasPrefix(".. ") || text == "__" || text.hasPrefix("__ ")
    }

    /// `name:: argument` → (name, argument).
    static func directive(_ text: String) -> (String, String)? {
        guard let marker = text.range(of: "::"), marker.lowerBound > text.startIndex else { return nil }
        let name = String(text[..<marker.lowerBound])
        guard name.first!.isLetter || name.first!.isNumber, name.allSatisfy({ $0.isLetter || $0.isNumber || "-_.+:".contains($0) }) else {
            return nil
        }
        let after = text[marker.upperBound...]
        guard after.isEmpty || after.first == " " else { return nil }
        return (name.lowercased(), after.trimmingCharacters(in: .whitespaces))
    }

    private mutating func directive(_ name: String, block: [Line], line: Int) {
        if Self.disabledDirectives.contains(name) {
            report(line, "\"\(name)\" directive disabled.")
            return
        }
        guard Self.directivesWithBody.contains(name) || Self.directivesWithoutBody.contains(name) else {
            report(line, "Unknown directive type \"\(name)\".")
            return
        }
        var contentStart = 0
        while contentStart < block.count, !block[contentStart].isBlank, block[contentStart].text.hasPrefix(":") {
            let option = block[contentStart].text.dropFirst().prefix { $0 != ":" }
            if let known = Self.directiveOptions[name], !known.contains(String(option)) {
                report(block[contentStart].number, "Error in \"\(name)\" directive: unknown option: \"\(option)\".")
            }
            contentStart += 1
        }
        if Self.directivesWithBody.contains(name), contentStart < block.count {
            body(block[contentStart...], nested: true)
        }
    }

    private mutating func hyperlinkTarget(_ rest: String, continuation: [Line], line: Int) {
        // `_name: uri`, `_`phrase`: uri`, `__: uri` (anonymous).
        let afterUnderscore = rest.dropFirst()
        if afterUnderscore.hasPrefix("_:") || afterUnderscore == "_" {
            anonymousTargets += 1
            return
        }
        let name: String
        let uri: String
        if afterUnderscore.hasPrefix("`") {
            guard let close = afterUnderscore.dropFirst().firstIndex(of: "`"), afterUnderscore[afterUnderscore.index(after: close)...].hasPrefix(":")
            else {
                report(line, "malformed hyperlink target.")
                return
            }
            name = String(afterUnderscore[afterUnderscore.index(after: afterUnderscore.startIndex)..<close])
            uri = String(afterUnderscore[afterUnderscore.index(close, offsetBy: 2)...])
        } else {
            var colon: String.Index?
            var cursor = afterUnderscore.startIndex
            while cursor < afterUnderscore.endIndex {
                if afterUnderscore[cursor] == "\\" {
                    cursor = afterUnderscore.index(cursor, offsetBy: 2, limitedBy: afterUnderscore.endIndex) ?? afterUnderscore.endIndex
                    continue
                }
                let next = afterUnderscore.index(after: cursor)
                if afterUnderscore[cursor] == ":", next == afterUnderscore.endIndex || afterUnderscore[next] == " " {
                    colon = cursor
                    break
                }
                cursor = next
            }
            guard let colon, colon > afterUnderscore.startIndex, afterUnderscore.first != " " else {
                report(line, "malformed hyperlink target.")
                return
            }
            name = String(afterUnderscore[..<colon])
            uri = String(afterUnderscore[afterUnderscore.index(after: colon)...])
        }
        let key = Self.normalise(name)
        let target = ([uri] + continuation.map(\.text)).map { $0.trimmingCharacters(in: .whitespaces) }.joined()
        if let previous = explicitTargets[key], previous != target, !target.isEmpty, !previous.isEmpty {
            report(line, "Duplicate explicit target name: \"\(name)\".")
        }
        explicitTargets[key] = target
        targets.insert(key)
    }

    // MARK: Inline markup

    private static let openers: Set<Character> = ["'", "\"", "<", "(", "[", "{"]
    private static let closers: [Character: Character] = ["'": "'", "\"": "\"", "<": ">", "(": ")", "[": "]", "{": "}"]
    private static let knownRoles: Set<String> = [
        "emphasis", "literal", "code", "math", "pep-reference", "pep", "rfc-reference", "rfc", "strong", "subscript", "sub",
        "superscript", "sup", "title-reference", "title", "t", "abbreviation", "ab", "acronym", "ac",
    ]

    private static func startPrefixOK(_ previous: Character?) -> Bool {
        guard let previous else { return true }
        return previous.isWhitespace || "-:/'\"<([{".contains(previous)
            || previous.unicodeScalars.first.map {
                [.dashPunctuation, .openPunctuation, .initialPunctuation, .finalPunctuation, .otherPunctuation].contains(
                    $0.properties.generalCategory)
            } == true
    }

    private static func endSuffixOK(_ next: Character?) -> Bool {
        guard let next else { return true }
        return next.isWhitespace || "-.,:;!?\\/'\")]}>".contains(next)
            || next.unicodeScalars.first.map {
                [.dashPunctuation, .closePunctuation, .initialPunctuation, .finalPunctuation, .otherPunctuation].contains(
                    $0.properties.generalCategory)
            } == true
    }

    private mutating func inline(_ text: String, line: Int) {
        let characters = Array(text)
        let count = characters.count
        func at(_ index: Int) -> Character? { index >= 0 && index < count ? characters[index] : nil }
        func matches(_ string: String, _ index: Int) -> Bool {
            let needle = Array(string)
            guard index + needle.count <= count else { return false }
            return Array(characters[index..<(index + needle.count)]) == needle
        }
        func starts(_ index: Int, length: Int) -> Bool {
            let previous = at(index - 1)
            guard Self.startPrefixOK(previous), let next = at(index + length), !next.isWhitespace else { return false }
            if let previous, let closer = Self.closers[previous], next == closer { return false }
            return true
        }
        /// The index of the end-string `end` after `from`, or nil.
        func endString(_ end: String, from: Int, escapes: Bool) -> Int? {
            var index = from
            while index < count {
                if escapes, characters[index] == "\\" {
                    index += 2
                    continue
                }
                if matches(end, index), let previous = at(index - 1), !previous.isWhitespace, !(escapes && previous == "\\"),
                    Self.endSuffixOK(at(index + end.count)) || (end == "`" && (at(index + 1) == "_" || at(index + 1) == ":"))
                        || (end == "|" && at(index + 1) == "_")
                {
                    return index
                }
                index += 1
            }
            return nil
        }
        func lineOf(_ index: Int) -> Int { line + characters[..<index].filter { $0 == "\n" }.count }

        var index = 0
        while index < count {
            let character = characters[index]
            if character == "\\" {
                index += 2
                continue
            }
            if matches("``", index), starts(index, length: 2) {
                guard let end = endString("``", from: index + 3, escapes: false) else {
                    report(lineOf(index), "Inline literal start-string without end-string.")
                    return
                }
                index = end + 2
                continue
            }
            if matches("**", index), starts(index, length: 2) {
                guard let end = endString("**", from: index + 3, escapes: true) else {
                    report(lineOf(index), "Inline strong start-string without end-string.")
                    return
                }
                inline(String(characters[(index + 2)..<end]), line: lineOf(index))
                index = end + 2
                continue
            }
            if character == "*", starts(index, length: 1) {
                guard let end = endString("*", from: index + 2, escapes: true) else {
                    report(lineOf(index), "Inline emphasis start-string without end-string.")
                    return
                }
                index = end + 1
                continue
            }
            if matches("_`", index), starts(index, length: 2) {
                guard let end = endString("`", from: index + 3, escapes: true) else {
                    report(lineOf(index), "Inline internal target start-string without end-string.")
                    return
                }
                targets.insert(Self.normalise(String(characters[(index + 2)..<end])))
                index = end + 1
                continue
            }
            if character == "`", starts(index, length: 1) {
                guard let end = endString("`", from: index + 2, escapes: true) else {
                    report(lineOf(index), "Inline interpreted text or phrase reference start-string without end-string.")
                    return
                }
                let content = String(characters[(index + 1)..<end])
                var after = end + 1
                if let prefixRole = Self.rolePrefix(characters, before: index) { checkRole(prefixRole, line: lineOf(index)) }
                if matches("__", after) {
                    if !Self.hasEmbeddedURI(content) { anonymousReferences.append(lineOf(index)) }
                    after += 2
                } else if matches("_", after) {
                    phraseReference(content, line: lineOf(index))
                    after += 1
                } else if at(after) == ":", let close = characters[(after + 1)...].firstIndex(of: ":"), close > after + 1,
                    characters[(after + 1)..<close].allSatisfy({ $0.isLetter || $0.isNumber || "-_.+".contains($0) })
                {
                    checkRole(String(characters[(after + 1)..<close]), line: lineOf(index))
                    after = close + 1
                }
                index = after
                continue
            }
            if character == "|", starts(index, length: 1) {
                guard let end = endString("|", from: index + 2, escapes: true) else {
                    report(lineOf(index), "Inline substitution_reference start-string without end-string.")
                    return
                }
                substitutionReferences.append((Self.normalise(String(characters[(index + 1)..<end])), lineOf(index)))
                index = end + 1
                continue
            }
            if character == "[", Self.startPrefixOK(at(index - 1)), let close = characters[index...].firstIndex(of: "]"), at(close + 1) == "_",
                Self.endSuffixOK(at(close + 2))
            {
                let label = String(characters[(index + 1)..<close])
                if !label.isEmpty, label.allSatisfy({ $0.isLetter || $0.isNumber || "#*_.-".contains($0) }) {
                    footnoteReferences.append((label, lineOf(index)))
                    index = close + 2
                    continue
                }
            }
            if character.isLetter || character.isNumber, Self.startPrefixOK(at(index - 1)),
                at(index - 1).map({ !$0.isLetter && !$0.isNumber }) ?? true
            {
                var end = index
                while end < count,
                    characters[end].isLetter || characters[end].isNumber
                        || ("-._+:".contains(characters[end]) && end + 1 < count && (characters[end + 1].isLetter || characters[end + 1].isNumber))
                { end += 1 }
                let anonymous = matches("__", end)
                if anonymous || matches("_", end), Self.endSuffixOK(at(end + (anonymous ? 2 : 1))) {
                    if anonymous {
                        anonymousReferences.append(lineOf(index))
                    } else {
                        references.append((Self.normalise(String(characters[index..<end])), lineOf(index)))
                    }
                    index = end + (anonymous ? 2 : 1)
                    continue
                }
                index = max(end, index + 1)
                continue
            }
            index += 1
        }
    }

    private mutating func phraseReference(_ content: String, line: Int) {
        guard Self.hasEmbeddedURI(content), let open = content.lastIndex(of: "<") else {
            references.append((Self.normalise(content), line))
            return
        }
        let embedded = String(content[content.index(after: open)..<content.index(before: content.endIndex)])
        let text = String(content[..<open]).trimmingCharacters(in: .whitespaces)
        if embedded.hasSuffix("_"), !embedded.contains("://") {
            references.append((Self.normalise(String(embedded.dropLast())), line))
        }
        if !text.isEmpty {
            let key = Self.normalise(text)
            if let previous = explicitTargets[key], previous != embedded { report(line, "Duplicate explicit target name: \"\(text)\".") }
            explicitTargets[key] = embedded
            targets.insert(key)
        }
    }

    private mutating func checkRole(_ name: String, line: Int) {
        if name.lowercased() == "raw" {
            report(line, "Unknown interpreted text role \"raw\".")
        } else if !Self.knownRoles.contains(name.lowercased()) {
            report(line, "Unknown interpreted text role \"\(name)\".")
        }
    }

    /// `:role:` right before `index` (itself at a start position), if any.
    private static func rolePrefix(_ characters: [Character], before index: Int) -> String? {
        guard index >= 2, characters[index - 1] == ":" else { return nil }
        var start = index - 2
        while start >= 0, characters[start] != ":" {
            guard characters[start].isLetter || characters[start].isNumber || "-_.+".contains(characters[start]) else { return nil }
            start -= 1
        }
        guard start >= 0, start < index - 2, startPrefixOK(start > 0 ? characters[start - 1] : nil) else { return nil }
        return String(characters[(start + 1)..<(index - 1)])
    }

    private static func hasEmbeddedURI(_ content: String) -> Bool {
        content.hasSuffix(">") && content.contains("<")
    }

    // MARK: References

    private mutating func resolveReferences() {
        for reference in references where !targets.contains(reference.name) && !footnoteLabels.contains(reference.name) {
            report(reference.line, "Unknown target name: \"\(reference.name)\".")
        }
        if anonymousReferences.count != anonymousTargets {
            report(
                anonymousReferences.first ?? 1,
                "Anonymous hyperlink mismatch: \(anonymousReferences.count) references but \(anonymousTargets) targets.")
        }
        for reference in substitutionReferences where !substitutions.contains(reference.name) {
            report(reference.line, "Undefined substitution referenced: \"\(reference.name)\".")
        }
        var automatic = 0
        for reference in footnoteReferences {
            if reference.label == "#" {
                automatic += 1
                if automatic > autoFootnotes { report(reference.line, "Too many autonumbered footnote references.") }
            } else if reference.label != "*", !footnoteLabels.contains(Self.normalise(reference.label)) {
                report(reference.line, "Unknown target name: \"\(reference.label)\".")
            }
        }
    }

    // MARK: Markers

    static func normalise(_ name: String) -> String {
        name.lowercased().split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    static func isSimpleTableBorder(_ text: String) -> Bool {
        let columns = text.split(separator: " ", omittingEmptySubsequences: true)
        return columns.count >= 2 && columns.allSatisfy { $0.allSatisfy { $0 == "=" } }
    }

    /// Columns taken by a bullet marker (`- `, `* `, `+ `, `• `), or nil.
    static func bullet(_ text: String) -> Int? {
        guard let first = text.first, "-*+•‣⁃".contains(first) else { return nil }
        let rest = text.dropFirst()
        if rest.isEmpty { return 1 }
        guard rest.first == " " else { return nil }
        return 1 + rest.prefix { $0 == " " }.count
    }

    /// Columns taken by an enumerator (`1. `, `a) `, `(iv) `, `#. `), or nil.
    static func enumerator(_ text: String) -> Int? {
        var characters = Substring(text)
        var width = 0
        let parenthesised = characters.first == "("
        if parenthesised {
            characters = characters.dropFirst()
            width += 1
        }
        let label = characters.prefix { $0.isASCII && ($0.isNumber || $0.isLetter || $0 == "#") }
        guard !label.isEmpty,
            label == "#" || label.allSatisfy(\.isNumber) || label.count == 1
                || label.allSatisfy({ "ivxlcdm".contains($0) }) || label.allSatisfy({ "IVXLCDM".contains($0) })
        else { return nil }
        characters = characters.dropFirst(label.count)
        width += label.count
        guard let closer = characters.first, parenthesised ? closer == ")" : (closer == "." || closer == ")") else { return nil }
        characters = characters.dropFirst()
        width += 1
        if characters.isEmpty { return width }
        guard characters.first == " " else { return nil }
        return width + characters.prefix { $0 == " " }.count
    }

    /// An enumerated item is a list item only when the next line is blank, indented, another item, or absent.
    private static func isListItemStart(_ lines: ArraySlice<Line>, _ index: Int) -> Bool {
        index + 1 >= lines.endIndex || lines[index + 1].isBlank || lines[index + 1].indentation > 0 || enumerator(lines[index + 1].text) != nil
    }

    /// Columns taken by a field marker (`:name: `), or nil.
    static func fieldMarker(_ text: String) -> Int? {
        guard text.hasPrefix(":"), text.count > 2 else { return nil }
        let characters = Array(text)
        guard characters[1] != " ", characters[1] != ":" else { return nil }
        var index = 1
        while index < characters.count {
            if characters[index] == "\\" {
                index += 2
                continue
            }
            if characters[index] == ":", characters[index - 1] != " ", index + 1 == characters.count || characters[index + 1] == " " {
                if index > 1, characters[1] == "`" { return nil }
                return index + 1 + characters[(index + 1)...].prefix { $0 == " " }.count
            }
            index += 1
        }
        return nil
    }

    /// Columns taken by an option-list marker (`-a  `, `--long=VALUE  `, `-a, --all  `), or nil.
    static func optionMarker(_ text: String) -> Int? {
        func isOption(_ option: Substring) -> Bool {
            let parts = option.split(separator: "=", maxSplits: 1).first.map { $0.split(separator: " ", maxSplits: 1) } ?? []
            guard let flag = parts.first else { return false }
            let characters = Array(flag)
            if characters.count == 2, characters[0] == "-", characters[1].isASCII, characters[1].isLetter || characters[1].isNumber { return true }
            return characters.count > 2 && characters[0] == "-" && characters[1] == "-" && characters[2].isASCII
                && (characters[2].isLetter || characters[2].isNumber)
                && characters.dropFirst(2).allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }
        }
        let gap = text.range(of: "  ")
        let options = gap.map { text[..<$0.lowerBound] } ?? Substring(text)
        guard options.split(separator: ",").allSatisfy({ isOption($0.drop { $0 == " " }) }) else { return nil }
        guard let gap else { return text.count }
        return text.distance(from: text.startIndex, to: gap.upperBound) + text[gap.upperBound...].prefix { $0 == " " }.count
    }
}
