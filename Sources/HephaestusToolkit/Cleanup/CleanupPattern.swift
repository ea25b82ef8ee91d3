import Glibc

/// One cleanup pattern: an fnmatch(3) glob matched against an entry's name (or, when it holds a `/`, against its path
/// relative to the root); a trailing `/` restricts it to directories (`build/` never matches a file called `build`).
public struct CleanupPattern: Sendable, Equatable, CustomStringConvertible {
    public let text: String
    private let glob: [CChar]
    private let directoriesOnly: Bool
    private let matchesPath: Bool
    private let fast: FastMatch?

    /// The common shapes matched without fnmatch(3): a literal name, `*LITERAL`, `LITERAL*`.
    private enum FastMatch: Sendable, Equatable {
        case exact([CChar])
        case suffix([CChar])
        case prefix([CChar])
    }

    /// nil for an unusable pattern: empty, absolute, or holding a `..` component.
    public init?(_ text: String) {
        var body = text
        let directoriesOnly = body.hasSuffix("/")
        while body.hasSuffix("/") { body.removeLast() }
        guard !body.trimmingCharacters(in: .whitespaces).isEmpty, !text.hasPrefix("/"),
            !body.split(separator: "/").contains("..")
        else { return nil }
        self.text = text
        self.glob = Array(body.utf8CString)
        self.directoriesOnly = directoriesOnly
        self.matchesPath = body.contains("/")
        let special: Set<Character> = ["*", "?", "[", "\\"]
        let literal = { (text: Substring) in !text.contains(where: { special.contains($0) }) }
        if matchesPath {
            fast = nil
        } else if literal(body[...]) {
            fast = .exact(Array(body.utf8CString.dropLast()))
        } else if body.hasPrefix("*"), literal(body.dropFirst()) {
            fast = .suffix(Array(String(body.dropFirst()).utf8CString.dropLast()))
        } else if body.hasSuffix("*"), literal(body.dropLast()) {
            fast = .prefix(Array(String(body.dropLast()).utf8CString.dropLast()))
        } else {
            fast = nil
        }
    }

    public var description: String { text }

    /// Whether the entry `name` at `relativePath` (from the root, `/`-separated) of kind `kind` matches.
    func matches(name: [CChar], relativePath: () -> [CChar], kind: EntryKind) -> Bool {
        if directoriesOnly && kind != .directory { return false }
        if matchesPath { return fnmatch(glob, relativePath(), FNM_PATHNAME) == 0 }
        // `name` is NUL-terminated.
        switch fast {
        case .exact(let literal):
            return name.count == literal.count + 1 && name.starts(with: literal)
        case .suffix(let literal):
            return name.count > literal.count && name[(name.count - 1 - literal.count)..<(name.count - 1)].elementsEqual(literal)
        case .prefix(let literal):
            return name.count > literal.count && name.starts(with: literal)
        case nil:
            return fnmatch(glob, name, 0) == 0
        }
    }
}

/// The patterns of a cleanup: what is removed and what is never touched.
public struct CleanupPatterns: Sendable {
    public let include: [CleanupPattern]
    public let exclude: [CleanupPattern]

    /// The build and cache artefacts of Python projects, and Hephaestus's own leftover staging files. `.coverage` and
    /// `.coverage.*` (coverage.py's data files), never `.coverage*`, which would take `.coveragerc` with them.
    public static let defaults: [String] = [
        "__pycache__/", "*.pyc", "*.pyo", ".pytest_cache/", ".mypy_cache/", ".ruff_cache/", "build/", "dist/", "*.egg-info/",
        ".coverage", ".coverage.*", "htmlcov/", ".tox/", ".nox/",
        // AtomicFileWriter's temporary files and interrupted downloads (HTTPClient+Download).
        ".hephaestus-tmp-??????", ".*.part-??????",
    ]

    public init(configuration: CleanupConfiguration) {
        include = (Self.defaults + configuration.include).compactMap(CleanupPattern.init)
        exclude = configuration.exclude.compactMap(CleanupPattern.init)
    }

    /// The include pattern `name` matches, unless an exclude pattern matches too.
    func match(name: [CChar], relativePath: () -> [CChar], kind: EntryKind) -> CleanupPattern? {
        guard let pattern = include.first(where: { $0.matches(name: name, relativePath: relativePath, kind: kind) }) else { return nil }
        return isExcluded(name: name, relativePath: relativePath, kind: kind) ? nil : pattern
    }

    func isExcluded(name: [CChar], relativePath: () -> [CChar], kind: EntryKind) -> Bool {
        exclude.contains { $0.matches(name: name, relativePath: relativePath, kind: kind) }
    }
}
