import Foundation
import HephaestusCore
import HephaestusPlatform

/// One difference between what is installed and what is pinned, with the command that would remediate it.
public struct DriftFinding: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// Installed at another version than pinned.
        case versionMismatch = "version-mismatch"
        /// Pinned but not installed.
        case notInstalled = "not-installed"
        /// A pin that can move (a branch or tag of a git URL, a URL without a hash, a range instead of `==`).
        case mutableRef = "mutable-ref"
        /// Provably not installed from an archive the lock allows: the archive hash pip recorded is not locked, or the
        /// files on disk differ from every locked wheel of that version in the wheelhouse.
        case hashMismatch = "hash-mismatch"
        /// The lock lists hashes, but nothing installed can be compared with them (no recorded archive hash, no locked
        /// wheel in the wheelhouse).
        case hashUnverified = "hash-unverified"
    }

    public var kind: Kind
    public var package: String
    public var installed: String?
    public var expected: String?
    /// Where the pin comes from (`hephaestus.toml [guard-rails.pins]`, `requirements.txt:3`, `uv.lock`).
    public var source: String
    /// What differs or why it cannot be checked, when the kind alone does not say it.
    public var detail: String?
    /// The command that remediates it, as a user would type it.
    public var remediation: String
    /// The same command as an argv when `--auto-remediate` may run it (inside the virtualenv); nil when it needs a
    /// person (editing a mutable reference).
    public var remediationArgv: [String]?
}

/// A distribution installed in the virtualenv (from its `*.dist-info`).
struct InstalledDistribution: Sendable {
    let name: String
    let version: String
    /// `archive_info.hashes` of `direct_url.json` (`sha256` → hex), when pip recorded them.
    let archiveHashes: [String: String]
    /// The site-packages directory it is installed in (absolute).
    let sitePackages: String
    /// Its `*.dist-info` directory's name.
    let distInfo: String
    /// The paths its installed RECORD lists, relative to site-packages as written there.
    let recordedFiles: [String]
}

/// Finds drift: tool versions against pins (the configuration's, `requirements*.txt`, `uv.lock`), mutable references,
/// and installed archives whose hashes the lock does not list.
struct DriftDetector {
    let project: String
    /// The virtualenv (absolute).
    let virtualenv: String
    let pins: [String: String]
    let pinSource: String
    /// Where locked wheels are looked up to compare installed files with (absolute); nil: none configured.
    var wheelhouse: String? = nil

    struct Pin {
        let name: String
        let version: String
        let source: String
        /// Allowed archive hashes (`sha256` hex), when the source lists them.
        var hashes: Set<String> = []
    }

    func findings() -> [DriftFinding] {
        let installed = Self.installed(in: virtualenv)
        var findings: [DriftFinding] = []
        var pinsFound: [Pin] = pins.sorted { $0.key < $1.key }.map { Pin(name: $0.key, version: $0.value, source: pinSource) }
        for file in requirementFiles() {
            let (filePins, mutable) = Self.requirements(file: file, relativeTo: project)
            pinsFound += filePins
            findings += mutable
        }
        let lock = project + "/uv.lock"
        if NativePath.exists(lock) { pinsFound += Self.uvLock(lock) }
        var seen: Set<String> = []
        let archives = InstalledArchiveCheck(virtualenv: virtualenv, wheelhouse: wheelhouse)
        for pin in pinsFound {
            let key = Self.normalise(pin.name)
            guard seen.insert(key + "@" + pin.source).inserted else { continue }
            let argv = [virtualenv + "/bin/python", "-m", "pip", "install", "--no-deps", "\(pin.name)==\(pin.version)"]
            func finding(
                _ kind: DriftFinding.Kind, installed: String?, detail: String? = nil, argv: [String]?, remediation: String? = nil
            )
                -> DriftFinding
            {
                DriftFinding(
                    kind: kind, package: pin.name, installed: installed, expected: pin.version, source: pin.source, detail: detail,
                    remediation: remediation ?? argv.map(Self.display) ?? "", remediationArgv: argv)
            }
            guard let have = installed[key] else {
                findings.append(finding(.notInstalled, installed: nil, argv: argv))
                continue
            }
            let pinned = PEP440Version(pin.version)
            let matches: Bool =
                if let pinned, let version = PEP440Version(have.version) { version.satisfies(pin: pinned) } else { have.version == pin.version }
            if !matches {
                let detail = pinned == nil ? "\(pin.version) is not a PEP 440 version: compared as written" : nil
                findings.append(finding(.versionMismatch, installed: have.version, detail: detail, argv: argv))
                continue
            }
            guard !pin.hashes.isEmpty else { continue }
            switch archives.verdict(name: pin.name, version: pinned, hashes: pin.hashes, installed: have) {
            case .verified: break
            case .mismatch(let archive, let detail, let wheel):
                let reinstall =
                    [virtualenv + "/bin/python", "-m", "pip", "install", "--no-deps", "--force-reinstall"]
                    + (wheel.map { ["--no-index", $0] } ?? ["\(pin.name)==\(pin.version)"])
                findings.append(finding(.hashMismatch, installed: archive.map { "sha256:" + $0 } ?? have.version, detail: detail, argv: reinstall))
            case .unverifiable(let reason):
                let destination = wheelhouse ?? project + "/wheelhouse"
                let download = Self.display([
                    virtualenv + "/bin/python", "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--dest", destination,
                    "\(pin.name)==\(pin.version)",
                ])
                let configure = wheelhouse == nil ? " and set wheelhouse = \"wheelhouse\" in [guard-rails]" : ""
                findings.append(
                    finding(
                        .hashUnverified, installed: have.version, detail: reason, argv: nil,
                        remediation: "\(download)\(configure) (the next run checks the wheel's sha256 against the lock)"))
            }
        }
        return findings
    }

    private func requirementFiles() -> [String] {
        (NativePath.entries(ofDirectory: project) ?? []).filter { $0.hasPrefix("requirements") && $0.hasSuffix(".txt") }.sorted().map {
            project + "/" + $0
        }
    }

    static func display(_ argv: [String]) -> String {
        argv.map { $0.contains(" ") ? "'\($0)'" : $0 }.joined(separator: " ")
    }

    /// PEP 503's normalised name.
    static func normalise(_ name: String) -> String { WheelFilename.normalize(name) }

    /// Every distribution in the virtualenv's site-packages.
    static func installed(in virtualenv: String) -> [String: InstalledDistribution] {
        var found: [String: InstalledDistribution] = [:]
        // lib64 is usually a link to lib: the same site-packages once, under its own name.
        let libs = ["lib", "lib64"].filter {
            $0 == "lib" || (try? FileManager.default.destinationOfSymbolicLink(atPath: "\(virtualenv)/\($0)")) == nil
        }
        for lib in libs {
            for python in NativePath.entries(ofDirectory: "\(virtualenv)/\(lib)") ?? [] where python.hasPrefix("python") {
                let sitePackages = "\(virtualenv)/\(lib)/\(python)/site-packages"
                for entry in NativePath.entries(ofDirectory: sitePackages) ?? [] where entry.hasSuffix(".dist-info") {
                    let directory = sitePackages + "/" + entry
                    guard let metadata = try? FileReader.contents(of: directory + "/METADATA", limit: 4 << 20) else { continue }
                    var name: String?
                    var version: String?
                    for line in String(decoding: metadata, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) {
                        if line.isEmpty { break }
                        if line.hasPrefix("Name:") { name = line.dropFirst(5).trimmingCharacters(in: .whitespaces) }
                        if line.hasPrefix("Version:") { version = line.dropFirst(8).trimmingCharacters(in: .whitespaces) }
                    }
                    guard let name, let version else { continue }
                    var hashes: [String: String] = [:]
                    if let direct = try? FileReader.contents(of: directory + "/direct_url.json", limit: 1 << 20),
                        let object = try? JSONSerialization.jsonObject(with: Data(direct)) as? [String: Any],
                        let archive = object["archive_info"] as? [String: Any]
                    {
                        if let listed = archive["hashes"] as? [String: String] { hashes = listed }
                        if let single = archive["hash"] as? String, let equals = single.firstIndex(of: "=") {
                            hashes[String(single[..<equals])] = String(single[single.index(after: equals)...])
                        }
                    }
                    let record = (try? FileReader.contents(of: directory + "/RECORD", limit: 64 << 20)).map {
                        CSVRows.parse(String(decoding: $0, as: UTF8.self)).compactMap { $0.first }.filter { !$0.isEmpty }
                    }
                    found[normalise(name)] = InstalledDistribution(
                        name: name, version: version, archiveHashes: hashes, sitePackages: sitePackages, distInfo: entry,
                        recordedFiles: record ?? [])
                }
            }
        }
        return found
    }

    /// The `name==version` pins of a requirements file (with their `--hash=sha256:` values), and findings for the
    /// requirements that are not pinned immutably.
    static func requirements(file: String, relativeTo project: String) -> ([Pin], [DriftFinding]) {
        guard let bytes = try? FileReader.contents(of: file, limit: 16 << 20) else { return ([], []) }
        let name = (file as NSString).lastPathComponent
        var pins: [Pin] = []
        var findings: [DriftFinding] = []
        // Join continuation lines, remembering the first line number of each requirement.
        var logical: [(Int, String)] = []
        var pending = ""
        var start = 0
        for (index, raw) in String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = String(raw)
            if let hash = line.range(of: " #") ?? (line.hasPrefix("#") ? line.range(of: "#") : nil) { line = String(line[..<hash.lowerBound]) }
            if pending.isEmpty { start = index + 1 }
            if line.hasSuffix("\\") {
                pending += line.dropLast() + " "
                continue
            }
            pending += line
            let trimmed = pending.trimmingCharacters(in: .whitespaces)
            if !trimmed.isEmpty { logical.append((start, trimmed)) }
            pending = ""
        }
        for (line, requirement) in logical {
            if requirement.hasPrefix("-") && !requirement.hasPrefix("-e") { continue }  // options (-r, --index-url, …)
            let source = "\(name):\(line)"
            let tokens = requirement.split(separator: " ").map(String.init)
            let hashes = Set(tokens.compactMap { $0.hasPrefix("--hash=sha256:") ? String($0.dropFirst(14)) : nil })
            let spec = tokens.first { !$0.hasPrefix("--") && $0 != "-e" } ?? requirement
            if requirement.hasPrefix("-e") || spec.contains("://") || requirement.contains(" @ ") {
                if let finding = mutableReference(requirement, source: source) { findings.append(finding) }
                continue
            }
            let specifier = spec.split(separator: ";").first.map(String.init) ?? spec
            if let range = specifier.range(of: "==") {
                let package = String(specifier[..<range.lowerBound]).split(separator: "[").first.map(String.init) ?? ""
                let version = String(specifier[range.upperBound...])
                if version.contains("*") {
                    findings.append(
                        DriftFinding(
                            kind: .mutableRef, package: package, installed: nil, expected: version, source: source,
                            remediation: "pin \(package) to one exact version (pip-compile --generate-hashes or uv pip compile)",
                            remediationArgv: nil))
                } else {
                    pins.append(Pin(name: package, version: version, source: source, hashes: hashes))
                }
            } else {
                let package = String(specifier.prefix { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." })
                findings.append(
                    DriftFinding(
                        kind: .mutableRef, package: package, installed: nil, expected: specifier, source: source,
                        remediation: "pin \(package) with == and --hash (pip-compile --generate-hashes or uv pip compile)",
                        remediationArgv: nil))
            }
        }
        return (pins, findings)
    }

    /// A URL or VCS requirement that can move: a git reference that is not a full commit id, an archive URL without
    /// a hash, an editable install.
    static func mutableReference(_ requirement: String, source: String) -> DriftFinding? {
        let package =
            requirement.components(separatedBy: " @ ").first.map { $0.trimmingCharacters(in: .whitespaces) }
            .flatMap { $0.contains("://") ? nil : $0 } ?? requirement.components(separatedBy: "#egg=").dropFirst().first ?? requirement
        if requirement.hasPrefix("-e") {
            return DriftFinding(
                kind: .mutableRef, package: package, installed: nil, expected: nil, source: source,
                remediation: "replace the editable requirement with a released version pinned by hash", remediationArgv: nil)
        }
        if let vcs = requirement.range(of: "git+") {
            let url = requirement[vcs.lowerBound...].split(separator: " ").first.map(String.init) ?? ""
            let path = url.split(separator: "#").first.map(String.init) ?? url
            let reference = path.range(of: "@", options: .backwards).map { String(path[$0.upperBound...]) } ?? ""
            let isCommit = reference.count == 40 && reference.allSatisfy(\.isHexDigit)
            if isCommit { return nil }
            return DriftFinding(
                kind: .mutableRef, package: package, installed: nil, expected: reference.isEmpty ? "(default branch)" : reference,
                source: source,
                remediation:
                    "pin to a commit: git ls-remote \(path.dropFirst(4).split(separator: "@").first ?? "") \(reference.isEmpty ? "HEAD" : reference)",
                remediationArgv: nil)
        }
        if requirement.contains("--hash=") || requirement.contains("#sha256=") { return nil }
        return DriftFinding(
            kind: .mutableRef, package: package, installed: nil, expected: nil, source: source,
            remediation: "add the archive's hash (#sha256=… or --hash=sha256:…)", remediationArgv: nil)
    }

    /// The packages of a `uv.lock` with their versions and the hashes of their wheels and sdist.
    static func uvLock(_ path: String) -> [Pin] {
        guard let bytes = try? FileReader.contents(of: path, limit: 64 << 20),
            var document = try? ConfigurationTable.parse(String(decoding: bytes, as: UTF8.self), file: path),
            case .array(let packages)? = document.value("package")
        else { return [] }
        return packages.compactMap { package -> Pin? in
            guard case .table(let fields) = package, case .string(let name)? = fields["name"], case .string(let version)? = fields["version"]
            else { return nil }
            if case .table(let source)? = fields["source"], source["editable"] != nil || source["virtual"] != nil { return nil }
            var hashes: Set<String> = []
            var archives: [ConfigurationValue] = []
            if case .array(let wheels)? = fields["wheels"] { archives += wheels }
            if let sdist = fields["sdist"] { archives.append(sdist) }
            for archive in archives {
                if case .table(let entry) = archive, case .string(let hash)? = entry["hash"], hash.hasPrefix("sha256:") {
                    hashes.insert(String(hash.dropFirst(7)))
                }
            }
            return Pin(name: name, version: version, source: "uv.lock", hashes: hashes)
        }
    }
}
