/// A wheel file name (PEP 427 / binary distribution format):
/// `{distribution}-{version}(-{build tag})?-{python tag}-{abi tag}-{platform tag}.whl`.
public struct WheelFilename: Sendable, Equatable {
    public let distribution: String
    public let version: String
    public let buildTag: String?
    public let pythonTag: String
    public let abiTag: String
    public let platformTag: String

    public init(_ file: String) throws(WheelError) {
        func refuse(_ reason: String) -> WheelError { .invalidFilename(file: file, reason: reason) }
        guard file.hasSuffix(".whl") else { throw refuse("does not end in .whl") }
        let parts = file.dropLast(4).split(separator: "-", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 5 || parts.count == 6 else {
            throw refuse("expected 5 or 6 dash-separated fields, found \(parts.count)")
        }
        guard parts.allSatisfy({ !$0.isEmpty }) else { throw refuse("empty field") }
        let name = parts[0]
        let nameCharacters = name.unicodeScalars.allSatisfy {
            $0.properties.isASCIIHexDigit || ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_"
                || $0 == "."
        }
        guard nameCharacters, let first = name.unicodeScalars.first, first != "_", first != ".",
            let last = name.unicodeScalars.last, last != "_", last != "."
        else { throw refuse("distribution name \(name.debugDescription) has invalid characters") }
        let version = parts[1]
        guard
            version.unicodeScalars.allSatisfy({
                ("0"..."9").contains($0) || ("a"..."z").contains($0) || ("A"..."Z").contains($0) || "._!+".unicodeScalars.contains($0)
            }),
            version.unicodeScalars.first.map({ ("0"..."9").contains($0) || $0 == "v" }) == true
        else { throw refuse("version \(version.debugDescription) is not a PEP 440 version") }
        if parts.count == 6 {
            guard parts[2].unicodeScalars.first.map({ ("0"..."9").contains($0) }) == true else {
                throw refuse("build tag must start with a digit")
            }
            buildTag = parts[2]
        } else {
            buildTag = nil
        }
        let tags = parts.suffix(3)
        for tag in tags {
            guard
                tag.unicodeScalars.allSatisfy({
                    ("0"..."9").contains($0) || ("a"..."z").contains($0) || ("A"..."Z").contains($0) || "._".unicodeScalars.contains($0)
                })
            else { throw refuse("compatibility tag \(tag.debugDescription) has invalid characters") }
        }
        distribution = name
        self.version = version
        pythonTag = tags[tags.startIndex]
        abiTag = tags[tags.startIndex + 1]
        platformTag = tags[tags.startIndex + 2]
    }

    /// PEP 503 normalisation: lowercase, runs of `-`, `_`, `.` become `-`.
    public static func normalize(_ name: String) -> String {
        var output = ""
        var lastWasSeparator = false
        for character in name.lowercased() {
            if character == "-" || character == "_" || character == "." {
                if !lastWasSeparator { output.append("-") }
                lastWasSeparator = true
            } else {
                output.append(character)
                lastWasSeparator = false
            }
        }
        return output
    }
}
