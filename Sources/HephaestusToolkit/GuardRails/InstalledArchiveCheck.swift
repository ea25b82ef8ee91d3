import Foundation
import HephaestusCore
import HephaestusPlatform

/// Whether an installed distribution came from an archive its lock allows, from what can really be known:
///
/// - `direct_url.json`'s `archive_info` hash (pip records it for installs from a URL or a local file, not from an
///   index): the archive pip installed, by its SHA-256;
/// - the files on disk against a wheel of the same name and version in the configured wheelhouse whose SHA-256 the lock
///   lists: each file the wheel installs verbatim is hashed where the installer put it, and files the installed RECORD
///   lists inside site-packages that the wheel does not hold are reported.
///
/// What cannot be known: the hash of an archive installed from an index when no locked copy is at hand (pip and uv
/// keep none), files the installer writes itself (RECORD, INSTALLER, REQUESTED, `direct_url.json`, console-script
/// launchers, `#!python` scripts whose interpreter line it rewrites, byte code compiled at install), headers (their
/// directory depends on the interpreter), and a wheel built locally from a locked sdist (its hash is in no lock).
struct InstalledArchiveCheck {
    /// The project's virtualenv (absolute).
    let virtualenv: String
    /// The wheelhouse (absolute) locked wheels are looked up in; nil when none is configured.
    let wheelhouse: String?

    /// What the check concluded for one pin with hashes.
    enum Verdict: Equatable {
        /// Installed from an archive the lock allows (its recorded hash, or files equal to a locked wheel's).
        case verified
        /// Provably not: the recorded archive hash is not locked, or the files differ from every locked wheel.
        /// `recordedArchive`: the sha256 pip recorded, when that is what disagrees.
        case mismatch(recordedArchive: String?, detail: String, reinstallFrom: String?)
        /// Nothing installed can be compared with the lock's hashes.
        case unverifiable(reason: String)
    }

    /// Wheels of the wheelhouse by normalised name, with their parsed versions (read once).
    private let wheels: [String: [(path: String, version: PEP440Version?)]]

    init(virtualenv: String, wheelhouse: String?) {
        self.virtualenv = virtualenv
        self.wheelhouse = wheelhouse
        var wheels: [String: [(path: String, version: PEP440Version?)]] = [:]
        if let wheelhouse {
            for entry in (NativePath.entries(ofDirectory: wheelhouse) ?? []).sorted() where entry.hasSuffix(".whl") {
                guard let name = try? WheelFilename(entry) else { continue }
                wheels[DriftDetector.normalise(name.distribution), default: []].append(
                    (wheelhouse + "/" + entry, PEP440Version(name.version)))
            }
        }
        self.wheels = wheels
    }

    func verdict(name: String, version: PEP440Version?, hashes: Set<String>, installed: InstalledDistribution) -> Verdict {
        var archiveVerified = false
        if let recorded = installed.archiveHashes["sha256"]?.lowercased() {
            guard hashes.contains(recorded) else {
                return .mismatch(
                    recordedArchive: recorded, detail: "direct_url.json records an archive whose sha256 the lock does not list",
                    reinstallFrom: nil)
            }
            archiveVerified = true
        }
        guard let wheelhouse else {
            return archiveVerified
                ? .verified
                : .unverifiable(
                    reason: "no archive hash recorded at install (direct_url.json) and no [guard-rails] wheelhouse to compare the files with")
        }
        let candidates = (wheels[DriftDetector.normalise(name)] ?? []).filter { candidate in
            guard let version, let candidateVersion = candidate.version else { return false }
            return candidateVersion == version
        }
        let locked = candidates.compactMap { candidate -> (path: String, sha256: String)? in
            guard let digest = try? DigestAlgorithm.sha256.hash(fileAt: candidate.path).hex, hashes.contains(digest) else { return nil }
            return (candidate.path, digest)
        }
        guard !locked.isEmpty else {
            if archiveVerified { return .verified }
            let others = candidates.isEmpty ? "" : " (\(candidates.count) wheel(s) of that version there have hashes the lock does not list)"
            return .unverifiable(reason: "no wheel of \(name) \(version?.description ?? "?") in \(wheelhouse) whose sha256 the lock lists\(others)")
        }
        var best: (path: String, differences: [String])?
        for wheel in locked {
            let differences = differences(between: wheel.path, and: installed)
            if differences.isEmpty { return .verified }
            if best == nil || differences.count < best!.differences.count { best = (wheel.path, differences) }
        }
        let shown = best!.differences.prefix(5).joined(separator: "; ") + (best!.differences.count > 5 ? "; …" : "")
        return .mismatch(
            recordedArchive: nil,
            detail: "the installed files are not those of \((best!.path as NSString).lastPathComponent), whose sha256 the lock lists: \(shown)",
            reinstallFrom: best!.path)
    }

    /// How the installed files differ from those `wheel` installs verbatim ("path: differs", "path: missing",
    /// "path: not in the wheel"); empty when they are the same.
    func differences(between wheel: String, and installed: InstalledDistribution) -> [String] {
        var differences: [String] = []
        var expected: Set<String> = []
        do {
            let reader = try ArchiveReader(path: wheel)
            while let entry = try reader.nextEntry() {
                guard entry.kind == .regularFile else { continue }
                let components = try ArchiveEntryName.components(entry.path)
                let hasher = StreamingHasher(algorithm: .sha256)
                var head: [UInt8] = []
                _ = try reader.readData { chunk in
                    hasher.update(chunk)
                    if head.count < 8 { head += chunk.prefix(8 - head.count) }
                }
                guard let target = installedPath(of: components, head: head, sitePackages: installed.sitePackages) else { continue }
                if target.hasPrefix(installed.sitePackages + "/") { expected.insert(String(target.dropFirst(installed.sitePackages.count + 1))) }
                let shown = BuiltinChecks.relative(target, virtualenv)
                guard NativePath.exists(target) else {
                    differences.append("\(shown): missing")
                    continue
                }
                if (try? DigestAlgorithm.sha256.hash(fileAt: target)) != hasher.finalize() { differences.append("\(shown): differs") }
            }
        } catch {
            return ["\((wheel as NSString).lastPathComponent): unreadable (\(error))"]
        }
        for path in installed.recordedFiles where !expected.contains(path) && !Self.writtenByInstaller(path, distInfo: installed.distInfo) {
            differences.append("\(BuiltinChecks.relative(installed.sitePackages + "/" + path, virtualenv)): not in the wheel")
        }
        return differences
    }

    /// Where an installer puts a wheel entry verbatim, or nil for what it rewrites or places per interpreter.
    private func installedPath(of components: [String], head: [UInt8], sitePackages: String) -> String? {
        guard let first = components.first else { return nil }
        if first.hasSuffix(".dist-info"), components.count == 2, components[1] == "RECORD" || components[1].hasPrefix("RECORD.") { return nil }
        guard first.hasSuffix(".data"), components.count >= 3 else { return sitePackages + "/" + components.joined(separator: "/") }
        let rest = components.dropFirst(2).joined(separator: "/")
        switch components[1] {
        case "purelib", "platlib": return sitePackages + "/" + rest
        case "data": return virtualenv + "/" + rest
        case "scripts": return head.starts(with: Array("#!python".utf8)) ? nil : virtualenv + "/bin/" + rest
        default: return nil  // headers: the directory depends on the interpreter
        }
    }

    /// Files of an installed RECORD that the installer writes itself.
    static func writtenByInstaller(_ path: String, distInfo: String) -> Bool {
        if path.hasPrefix("../") || path.hasPrefix("/") { return true }  // launchers and scripts outside site-packages
        if path.hasSuffix(".pyc") && path.contains("__pycache__/") { return true }
        let generated = ["RECORD", "INSTALLER", "REQUESTED", "direct_url.json", "uv_cache.json", "uv_build.json"]
        return generated.contains { path == distInfo + "/" + $0 }
    }
}
