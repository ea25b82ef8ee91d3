import Foundation
import Glibc
import HephaestusPlatform

/// A Cobertura XML report, scanned tag by tag through a bounded buffer: `<source>` directories, `<class filename=…>`
/// and their `<line number=… hits=…>` elements (a line listed twice in a file, as under `<methods>`, counts once).
enum Cobertura {
    /// The longest tag (or comment) kept while looking for its end.
    static let maxTagLength = 1 << 20

    static func read(descriptor: Int32, path: String, paths: PathMapper) throws -> CoverageReport {
        var scanner = Scanner()
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { chunk.deallocate() }
        while true {
            let count = Glibc.read(descriptor, chunk.baseAddress, chunk.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw FileError.fromErrno(errno, path: path)
            }
            if count == 0 { break }
            scanner.pending.append(contentsOf: UnsafeRawBufferPointer(rebasing: chunk[0..<count]))
            scanner.scan()
            guard scanner.pending.count <= maxTagLength else {
                throw AnalyticsError.coverageUnreadable(path: path, reason: "a tag longer than \(maxTagLength) bytes")
            }
        }
        guard scanner.sawCoverage else { throw AnalyticsError.coverageUnreadable(path: path, reason: "no <coverage> element (not Cobertura XML)") }
        var files: [String: CoverageReport.FileCoverage] = [:]
        for (name, lines) in scanner.lines {
            let source = scanner.sources.first { FileManager.default.fileExists(atPath: $0 + "/" + name) } ?? scanner.sources.first
            let relative = paths.relative(name, source: source)
            var coverage = files[relative] ?? CoverageReport.FileCoverage(statements: 0, covered: 0)
            coverage.statements += lines.count
            coverage.covered += lines.values.filter { $0 }.count
            files[relative] = coverage
        }
        return CoverageReport(format: .cobertura, files: files)
    }

    private struct Scanner {
        var pending: [UInt8] = []
        var sources: [String] = []
        var lines: [String: [Int: Bool]] = [:]
        var sawCoverage = false
        private var inSource = false
        private var sourceText: [UInt8] = []
        private var currentFile: String?

        mutating func scan() {
            var position = 0
            while position < pending.count {
                guard let open = pending[position...].firstIndex(of: UInt8(ascii: "<")) else {
                    if inSource { sourceText.append(contentsOf: pending[position...]) }
                    position = pending.count
                    break
                }
                if inSource { sourceText.append(contentsOf: pending[position..<open]) }
                if hasPrefix("<!--", at: open) {
                    guard let end = find("-->", from: open + 4) else {
                        position = open
                        break
                    }
                    position = end + 3
                    continue
                }
                guard let close = tagEnd(from: open + 1) else {
                    position = open
                    break
                }
                handle(tag: pending[(open + 1)..<close])
                position = close + 1
            }
            pending.removeFirst(position)
        }

        private func hasPrefix(_ text: String, at index: Int) -> Bool {
            let bytes = Array(text.utf8)
            return index + bytes.count <= pending.count && pending[index..<(index + bytes.count)].elementsEqual(bytes)
        }

        private func find(_ text: String, from start: Int) -> Int? {
            var index = start
            while index < pending.count {
                if hasPrefix(text, at: index) { return index }
                index += 1
            }
            return nil
        }

        /// The `>` ending a tag, outside quoted attribute values.
        private func tagEnd(from start: Int) -> Int? {
            var quote: UInt8 = 0
            var index = start
            while index < pending.count {
                let byte = pending[index]
                if quote != 0 {
                    if byte == quote { quote = 0 }
                } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                    quote = byte
                } else if byte == UInt8(ascii: ">") {
                    return index
                }
                index += 1
            }
            return nil
        }

        private mutating func handle(tag: ArraySlice<UInt8>) {
            guard let first = tag.first, first != UInt8(ascii: "?"), first != UInt8(ascii: "!") else { return }
            let closing = first == UInt8(ascii: "/")
            let body = closing ? tag.dropFirst() : tag
            let nameEnd = body.firstIndex { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D || $0 == UInt8(ascii: "/") } ?? body.endIndex
            let name = String(decoding: body[body.startIndex..<nameEnd], as: UTF8.self)
            switch (name, closing) {
            case ("coverage", false): sawCoverage = true
            case ("source", false):
                inSource = !(tag.last == UInt8(ascii: "/"))
                sourceText = []
            case ("source", true):
                inSource = false
                sources.append(Self.decodeEntities(sourceText).trimmingCharacters(in: .whitespacesAndNewlines))
            case ("class", false):
                currentFile = Self.attributes(body[nameEnd...])["filename"]
                // A file without statements (an empty __init__.py) is listed with no <line>.
                if let file = currentFile, lines[file] == nil { lines[file] = [:] }
            case ("class", true):
                currentFile = nil
            case ("line", false):
                guard let file = currentFile else { return }
                let attributes = Self.attributes(body[nameEnd...])
                guard let number = attributes["number"].flatMap({ Int($0) }) else { return }
                let hits = attributes["hits"].flatMap { Int($0) } ?? 0
                lines[file, default: [:]][number] = (lines[file]?[number] ?? false) || hits > 0
            default:
                break
            }
        }

        /// `name="value"` pairs (single or double quotes), values with entities decoded.
        static func attributes(_ text: ArraySlice<UInt8>) -> [String: String] {
            var result: [String: String] = [:]
            var index = text.startIndex
            while index < text.endIndex {
                while index < text.endIndex, !isNameByte(text[index]) { index += 1 }
                let nameStart = index
                while index < text.endIndex, isNameByte(text[index]) { index += 1 }
                let name = String(decoding: text[nameStart..<index], as: UTF8.self)
                while index < text.endIndex, text[index] == 0x20 || text[index] == 0x09 || text[index] == 0x0A || text[index] == 0x0D {
                    index += 1
                }
                guard index < text.endIndex, text[index] == UInt8(ascii: "=") else { continue }
                index += 1
                while index < text.endIndex, text[index] == 0x20 || text[index] == 0x09 || text[index] == 0x0A || text[index] == 0x0D {
                    index += 1
                }
                guard index < text.endIndex, text[index] == UInt8(ascii: "\"") || text[index] == UInt8(ascii: "'") else { continue }
                let quote = text[index]
                index += 1
                let valueStart = index
                while index < text.endIndex, text[index] != quote { index += 1 }
                result[name] = decodeEntities(Array(text[valueStart..<index]))
                index += 1
            }
            return result
        }

        private static func isNameByte(_ byte: UInt8) -> Bool {
            (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x5F
                || byte == 0x2D || byte == 0x3A || byte == 0x2E
        }

        /// The five predefined entities and numeric character references.
        static func decodeEntities(_ bytes: [UInt8]) -> String {
            let text = String(decoding: bytes, as: UTF8.self)
            guard text.contains("&") else { return text }
            var result = ""
            var rest = Substring(text)
            while let amp = rest.firstIndex(of: "&") {
                result += rest[..<amp]
                guard let semicolon = rest[amp...].firstIndex(of: ";") else { break }
                let entity = rest[rest.index(after: amp)..<semicolon]
                switch entity {
                case "amp": result += "&"
                case "lt": result += "<"
                case "gt": result += ">"
                case "quot": result += "\""
                case "apos": result += "'"
                default:
                    let value =
                        entity.hasPrefix("#x") ? UInt32(entity.dropFirst(2), radix: 16) : (entity.hasPrefix("#") ? UInt32(entity.dropFirst()) : nil)
                    if let value, let scalar = Unicode.Scalar(value) { result.unicodeScalars.append(scalar) } else { result += "&\(entity);" }
                }
                rest = rest[rest.index(after: semicolon)...]
            }
            return result + rest
        }
    }
}
