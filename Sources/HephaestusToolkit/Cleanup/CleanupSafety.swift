import Foundation
import Glibc
import HephaestusPlatform

/// The safety rails of `cleanup`, applied to real paths (symbolic links and `..` resolved first): system and home
/// directories are never a root nor a target, and virtualenvs, `site-packages` and `.git` are never touched.
public struct CleanupSafety: Sendable {
    /// The user's home directories (`$HOME` and the password database's, when they differ).
    public let homes: [String]

    /// Refused as a root or target themselves (their descendants may be cleaned: `/tmp/x`, `/home/me/project`).
    public static let protectedDirectories: Set<String> = [
        "/", "/home", "/usr", "/usr/local", "/etc", "/var", "/var/tmp", "/var/lib", "/var/log", "/boot", "/opt", "/bin", "/sbin", "/proc",
        "/sys", "/dev", "/root", "/srv", "/tmp", "/mnt", "/media", "/run", "/snap", "/nix", "/Users", "/System", "/Library",
        "/Applications", "/private", "/private/tmp", "/private/var",
    ]

    /// Refused together with everything inside them: the operating system's own trees.
    public static let systemTrees: [String] = ["/usr", "/etc", "/boot", "/bin", "/sbin", "/proc", "/sys", "/dev", "/System"]

    public init(environment: [String: String]) {
        var homes: [String] = []
        if let home = environment["HOME"], !home.isEmpty { homes.append(home) }
        if let entry = getpwuid(getuid()), let directory = entry.pointee.pw_dir { homes.append(String(cString: directory)) }
        self.homes = Array(Set(homes.map { Self.resolve($0) ?? Self.normalise($0) })).sorted()
    }

    /// The real path of `path` (symbolic links and `..` resolved), or nil when it does not exist.
    public static func resolve(_ path: String) -> String? {
        guard let resolved = realpath(NativePath.cString(path), nil) else { return nil }
        defer { free(resolved) }
        return NativePath.decode(UnsafeBufferPointer(start: resolved, count: strlen(resolved)).map { UInt8(bitPattern: $0) })
    }

    /// `path` made absolute against the working directory with `.` and `..` and repeated slashes removed (lexically).
    static func normalise(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var parts: [Substring] = []
        for part in absolute.split(separator: "/") {
            if part == "." { continue }
            if part == ".." {
                if !parts.isEmpty { parts.removeLast() }
                continue
            }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// Why the real path `path` may not be removed or cleaned as a root, or nil when it may.
    public func dangerReason(_ path: String) -> String? {
        if Self.protectedDirectories.contains(path) { return "\(path) is a protected system directory" }
        let components = path.split(separator: "/")
        if let top = components.first, top.hasPrefix("lib") {
            return components.count == 1 ? "\(path) is a protected system directory" : "\(path) lies inside the system directory /\(top)"
        }
        if let tree = Self.systemTrees.first(where: { path.hasPrefix($0 + "/") }) { return "\(path) lies inside the system directory \(tree)" }
        for home in homes {
            if path == home { return "\(path) is the home directory" }
            if home.hasPrefix(path + "/") { return "\(path) holds the home directory \(home)" }
        }
        return nil
    }

    /// Checks a root or target (after resolution) against the blocklist.
    func check(_ path: String, as role: String) throws(CleanupError) {
        if let reason = dangerReason(path) { throw CleanupError(.dangerousTarget, "refused \(role) \(path): \(reason)") }
    }

    /// Why the real path `path` is protected by what lies around it (a virtualenv, `site-packages` or `.git` among its
    /// ancestors or itself), or nil.
    static func protectionReason(_ path: String) -> String? {
        let parts = path.split(separator: "/")
        if let part = parts.first(where: { $0 == ".git" || $0 == "site-packages" }) { return "\(path) is or lies inside \(part)" }
        var ancestor = ""
        for part in parts {
            ancestor += "/" + part
            if NativePath.exists(ancestor + "/pyvenv.cfg") { return "\(path) is or lies inside the virtualenv \(ancestor)" }
        }
        if NativePath.exists("/pyvenv.cfg") { return "/ holds pyvenv.cfg" }
        return nil
    }
}
