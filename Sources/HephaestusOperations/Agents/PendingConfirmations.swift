import Foundation
import Glibc
import HephaestusCore
import HephaestusPlatform
import HephaestusSigstore

/// Confirmations of destructive tool calls, pending or given, in one file private to the user
/// (`$XDG_STATE_HOME/hephaestus/mcp-confirmations.json`, mode 0600 in a 0700 directory), changed under an exclusive
/// lock so the MCP server and `hephaestus confirm` never lose each other's changes.
///
/// A refused call records its request: an id, the SHA-256 of its tool name and arguments, an expiry. A person who runs
/// `hephaestus confirm ID` sees the call and gets a one-time code (only its SHA-256 is kept), valid for
/// ``codeLifetime``. The call made again with the code runs only if its tool and arguments hash to the same digest;
/// the code is then spent.
package struct PendingConfirmations: Sendable {
    /// How long a refused call waits for a person's confirmation.
    package static let requestLifetime: TimeInterval = 15 * 60
    /// How long a shown code stays valid.
    package static let codeLifetime: TimeInterval = 5 * 60

    package struct Entry: Codable, Sendable, Equatable {
        package let id: String
        package let tool: String
        package let arguments: JSONValue
        /// Hex SHA-256 of ``PendingConfirmations/callDigest(tool:arguments:)``.
        package let digest: String
        package var expires: Date
        /// Hex SHA-256 of the code shown by `hephaestus confirm` (nil: not confirmed yet).
        package var codeHash: String?
    }

    package let path: String

    package init(path: String) {
        self.path = path
    }

    /// The file in the user's state directory of `environment`.
    package static func standard(environment: [String: String]) -> PendingConfirmations {
        let base =
            environment["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()) + "/.local/state"
        return PendingConfirmations(path: base + "/hephaestus/mcp-confirmations.json")
    }

    /// The digest a confirmation is bound to: SHA-256 over the tool name, a newline, and the arguments as compact JSON
    /// with sorted keys (without ``MCPToolCatalogue/confirmationArgument``).
    package static func callDigest(tool: String, arguments: JSONValue) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = (try? encoder.encode(arguments)).map(Array.init) ?? []
        return DigestAlgorithm.sha256.hash(Array(tool.utf8) + [0x0A] + json).hex
    }

    /// Records a refused call and returns its id (the same id while an identical call waits unconfirmed).
    package func request(tool: String, arguments: JSONValue, now: Date) throws(AgentError) -> String {
        let digest = Self.callDigest(tool: tool, arguments: arguments)
        return try update(now: now) { entries in
            if let waiting = entries.first(where: { $0.digest == digest && $0.codeHash == nil }) { return waiting.id }
            let id = Self.randomText(count: 8)
            entries.append(Entry(id: id, tool: tool, arguments: arguments, digest: digest, expires: now + Self.requestLifetime, codeHash: nil))
            return id
        }
    }

    /// The pending call `id`, not yet confirmed.
    package func pending(_ id: String, now: Date) throws(AgentError) -> Entry {
        let entry = try update(now: now) { entries in entries.first { $0.id == id && $0.codeHash == nil } }
        guard let entry else { throw .unknownConfirmation(id) }
        return entry
    }

    /// Confirms the pending call `id`: returns its one-time code (shown once, kept only as its hash).
    package func confirm(_ id: String, now: Date) throws(AgentError) -> (entry: Entry, code: String) {
        let code = Self.randomText(count: 4) + "-" + Self.randomText(count: 4)
        let entry = try update(now: now) { entries -> Entry? in
            guard let index = entries.firstIndex(where: { $0.id == id && $0.codeHash == nil }) else { return nil }
            entries[index].codeHash = DigestAlgorithm.sha256.hash(Array(code.utf8)).hex
            entries[index].expires = now + Self.codeLifetime
            return entries[index]
        }
        guard let entry else { throw .unknownConfirmation(id) }
        return (entry, code)
    }

    /// Spends `code` on the call `tool(arguments)`: refused unless a person confirmed exactly this call with it and it
    /// has not expired or been spent.
    package func spend(code: String, tool: String, arguments: JSONValue, now: Date) throws(AgentError) {
        let hash = DigestAlgorithm.sha256.hash(Array(code.trimmingCharacters(in: .whitespaces).uppercased().utf8)).hex
        let digest = Self.callDigest(tool: tool, arguments: arguments)
        let refusal: String? = try update(now: now) { entries in
            guard let index = entries.firstIndex(where: { $0.codeHash == hash }) else {
                return "the code is unknown, already used or expired: ask the user to run `hephaestus confirm` again"
            }
            guard entries[index].digest == digest else {
                return "the code was given for another call (\(entries[index].tool) with other arguments), not this one"
            }
            entries.remove(at: index)
            return nil
        }
        if let refusal { throw .confirmationRefused(reason: refusal) }
    }

    // MARK: - The file

    /// Reads the entries (dropping expired ones), lets `change` edit them, and writes them back, under the lock.
    private func update<Result>(now: Date, _ change: (inout [Entry]) -> Result) throws(AgentError) -> Result {
        let directory = (path as NSString).deletingLastPathComponent
        if mkdir(directory, 0o700) != 0, errno == ENOENT {
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw .confirmationStore(path: directory, reason: "cannot create the directory: \(error)")
            }
        }
        let lock = open(path + ".lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard lock >= 0 else { throw .confirmationStore(path: path + ".lock", reason: String(cString: strerror(errno))) }
        defer { close(lock) }
        guard flock(lock, LOCK_EX) == 0 else { throw .confirmationStore(path: path + ".lock", reason: String(cString: strerror(errno))) }
        var entries = try read().filter { $0.expires > now }
        let result = change(&entries)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        encoder.dateEncodingStrategy = .iso8601
        do {
            try AtomicFileWriter.write(Array(try encoder.encode(entries)), to: path, overwrite: true, permissions: 0o600)
        } catch {
            throw .confirmationStore(path: path, reason: "cannot write: \(error)")
        }
        return result
    }

    /// The stored entries; refuses a file another user owns or others may read or write.
    private func read() throws(AgentError) -> [Entry] {
        var status = stat()
        guard lstat(path, &status) == 0 else {
            if errno == ENOENT { return [] }
            throw .confirmationStore(path: path, reason: String(cString: strerror(errno)))
        }
        guard status.st_mode & S_IFMT == S_IFREG else { throw .confirmationStore(path: path, reason: "not a regular file") }
        guard status.st_uid == getuid(), status.st_mode & 0o077 == 0 else {
            throw .confirmationStore(
                path: path, reason: "not private to this user (mode \(String(status.st_mode & 0o777, radix: 8)), owner \(status.st_uid)): refusing it"
            )
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        do {
            return try decoder.decode([Entry].self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw .confirmationStore(path: path, reason: "unreadable: \(error)")
        }
    }

    /// `count` characters of Crockford's base-32 alphabet (no I, L, O, U), from the system's random source.
    private static func randomText(count: Int) -> String {
        let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in alphabet[Int(generator.next(upperBound: UInt32(alphabet.count)))] })
    }
}
