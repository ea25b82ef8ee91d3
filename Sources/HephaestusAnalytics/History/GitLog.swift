import Foundation
import Glibc
import HephaestusPlatform

/// Reads a repository's history with `git log -M --numstat` in a subprocess, streaming its output line by line.
///
/// The log format is code-maat's (`--%h--%cd--%cn` headers, `--date=short`, numstat lines), with the full hash and
/// the author's name (`%aN`, after `.mailmap`) in place of the abbreviated hash and the committer.
public enum GitLog {
    /// The `git log` arguments after `git -C REPO`, for `since` (YYYY-MM-DD or RFC 3339; nil: all history).
    public static func arguments(since: String?) -> [String] {
        var arguments = [
            "-c", "core.quotepath=false", "-c", "log.showSignature=false", "-c", "diff.renames=true",
            "log", "-M", "--numstat", "--no-color", "--no-ext-diff", "--no-textconv", "--date=short", "--pretty=format:--%H--%cd--%aN",
        ]
        if let since { arguments.append("--since=\(since)") }
        arguments.append("--")
        return arguments
    }

    /// The history of the repository at `repository` (newest commit first into `history`).
    public static func read(
        repository: String, since: String?, maxChangesetSize: Int = ChangeHistory.defaultMaxChangesetSize
    ) throws -> ChangeHistory {
        var parser = Parser(history: ChangeHistory(maxChangesetSize: maxChangesetSize))
        try Git.run(["-C", repository] + arguments(since: since)) { line in parser.consume(line) }
        return parser.finish()
    }

    /// The history in a log file written by `git log -M --numstat --date=short --pretty=format:'--%h--%cd--%cn'`
    /// (code-maat's format), keeping commits dated `since` (YYYY-MM-DD) or later when given.
    public static func read(
        logFile path: String, since: String?, maxChangesetSize: Int = ChangeHistory.defaultMaxChangesetSize
    ) throws
        -> ChangeHistory
    {
        let descriptor = open(NativePath.cString(path), O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw FileError.fromErrno(errno, path: path) }
        defer { close(descriptor) }
        var parser = Parser(history: ChangeHistory(maxChangesetSize: maxChangesetSize), since: since.map { String($0.prefix(10)) })
        var number = 0
        try LineReader(descriptor: descriptor, name: path, maxLineLength: 1 << 20).forEachLine { item in
            number += 1
            guard case .complete(let bytes) = item else { throw AnalyticsError.gitFailed("\(path): line \(number) is longer than 1 MiB") }
            parser.consume(Substring(String(decoding: bytes, as: UTF8.self)))
        }
        return parser.finish()
    }

    /// Turns the lines of the log into commits of a ``ChangeHistory``.
    public struct Parser {
        private var history: ChangeHistory
        private var header: (date: String, author: String)?
        private var changes: [(path: NumstatPath, added: Int, deleted: Int)] = []
        /// Commits dated before this (YYYY-MM-DD) are left out.
        private let since: String?

        public init(history: ChangeHistory = ChangeHistory(), since: String? = nil) {
            self.history = history
            self.since = since
        }

        /// One line of the log (without its newline).
        public mutating func consume(_ line: Substring) {
            if line.hasPrefix("--"), let commit = Self.header(line) {
                flush()
                header = commit
                return
            }
            guard header != nil, let change = Self.change(line) else { return }
            changes.append(change)
        }

        public mutating func finish() -> ChangeHistory {
            flush()
            return history
        }

        private mutating func flush() {
            guard let header else { return }
            defer { self.header = nil }
            if let since, header.date < since {
                changes.removeAll(keepingCapacity: true)
                return
            }
            history.add(date: header.date, author: header.author, changes: changes)
            changes.removeAll(keepingCapacity: true)
        }

        /// `--HASH--YYYY-MM-DD--Author Name`.
        static func header(_ line: Substring) -> (date: String, author: String)? {
            let rest = line.dropFirst(2)
            guard let hashEnd = rest.range(of: "--"), !rest[..<hashEnd.lowerBound].isEmpty,
                rest[..<hashEnd.lowerBound].allSatisfy(\.isHexDigit)
            else { return nil }
            let afterHash = rest[hashEnd.upperBound...]
            guard afterHash.utf8.count >= 12 else { return nil }
            let date = afterHash.prefix(10)
            guard afterHash.dropFirst(10).hasPrefix("--"), Self.isDate(date) else { return nil }
            return (String(date), String(afterHash.dropFirst(12)).trimmingCharacters(in: .whitespaces))
        }

        private static func isDate(_ text: Substring) -> Bool {
            let bytes = Array(text.utf8)
            guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else { return false }
            return bytes.enumerated().allSatisfy { index, byte in index == 4 || index == 7 || (0x30...0x39).contains(byte) }
        }

        /// `ADDED<TAB>DELETED<TAB>PATH`, `-` counts (binary files) as 0.
        static func change(_ line: Substring) -> (path: NumstatPath, added: Int, deleted: Int)? {
            let fields = line.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3, !fields[2].isEmpty, let added = count(fields[0]), let deleted = count(fields[1]) else { return nil }
            return (NumstatPath(parsing: fields[2]), added, deleted)
        }

        private static func count(_ field: Substring) -> Int? {
            field == "-" ? 0 : (field.allSatisfy(\.isASCII) ? Int(field) : nil)
        }
    }
}

/// Runs git with its output streamed to a line callback.
enum Git {
    /// Runs `git ARGUMENTS`, handing each stdout line to `line`; throws ``AnalyticsError/gitFailed(_:)`` with git's
    /// message when it fails.
    static func run(_ arguments: [String], line: (Substring) throws -> Void) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git"] + arguments
        var environment = ProcessInfo.processInfo.environment
        // Output independent of the user's language, pager and configuration of colours.
        environment["LC_ALL"] = "C"
        environment["GIT_PAGER"] = "cat"
        environment.removeValue(forKey: "GIT_EXTERNAL_DIFF")
        process.environment = environment
        let output = Pipe()
        let errors = try TemporaryErrorFile()
        process.standardOutput = output
        process.standardError = errors.handle
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw AnalyticsError.gitFailed("cannot run git: \(error.localizedDescription)")
        }
        let reader = LineReader(descriptor: output.fileHandleForReading.fileDescriptor, name: "git log", maxLineLength: 1 << 20)
        var failure: (any Error)?
        do {
            try reader.forEachLine { item in
                guard case .complete(let bytes) = item else { throw AnalyticsError.gitFailed("an output line longer than 1 MiB") }
                try line(Substring(String(decoding: bytes, as: UTF8.self)))
            }
        } catch {
            failure = error
            process.terminate()
        }
        process.waitUntilExit()
        try? output.fileHandleForReading.close()
        if let failure { throw failure }
        guard process.terminationStatus == 0 else {
            let message = errors.contents().split(separator: "\n").first.map(String.init) ?? "exit status \(process.terminationStatus)"
            throw AnalyticsError.gitFailed(message)
        }
    }
}

/// An unlinked temporary file that collects a child's stderr (a file, not a pipe: it cannot fill up and block).
private final class TemporaryErrorFile {
    let handle: FileHandle

    init() throws {
        var template = Array((NSTemporaryDirectory() + "/hephaestus-git-XXXXXX").utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { throw AnalyticsError.gitFailed("cannot create a temporary file: \(String(cString: strerror(errno)))") }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    }

    func contents() -> String {
        _ = try? handle.seek(toOffset: 0)
        return String(decoding: (try? handle.readToEnd()) ?? Data(), as: UTF8.self)
    }
}
