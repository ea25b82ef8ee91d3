import Foundation
import HephaestusCore
import HephaestusPlatform

/// Hephaestus's own checks as pipeline steps, run in-process over the existing operations and parsers.
enum BuiltinChecks {
    /// (passed, findings, a one-line summary).
    typealias Outcome = (passed: Bool, findings: [Finding], summary: String)

    static func run(_ check: BuiltinCheck, project: String, settings: GuardRailsConfiguration, context: OperationContext) async throws -> Outcome {
        switch check {
        case .cleanup: try await cleanup(project: project, context: context)
        case .digestCheck: digestCheck(dist: project + "/dist")
        case .wheelRecord: wheelRecord(dist: project + "/dist")
        case .verifyDist: try await verifyDist(project: project, policy: settings.verify, context: context)
        }
    }

    /// `verify` (the `verify.files` operation) of every file in `dist/` with a bundle beside it.
    private static func verifyDist(
        project: String, policy: GuardRailsConfiguration.VerifyPolicy?, context: OperationContext
    ) async throws
        -> Outcome
    {
        let dist = project + "/dist"
        let names = Set(NativePath.entries(ofDirectory: dist) ?? [])
        let signed = names.filter { !$0.hasSuffix(".sigstore.json") && !$0.hasSuffix(".sigstore") }
            .filter { names.contains($0 + ".sigstore.json") || names.contains($0 + ".sigstore") }.sorted()
        guard !signed.isEmpty else { return (true, [], "no file in dist/ has a Sigstore bundle beside it") }
        guard let policy else {
            let finding = Finding(rule: "verify-policy", message: "dist/ holds Sigstore bundles but [guard-rails.verify] names no signer")
            return (false, [finding], "no [guard-rails.verify] certificate_identity and certificate_oidc_issuer")
        }
        let request = VerifyFilesOperation.Request(
            files: signed.map { dist + "/" + $0 },
            signer: SignerChoice(certificateIdentity: policy.certificateIdentity, certificateOidcIssuer: policy.certificateOidcIssuer),
            trust: TrustChoice(trustedRoot: policy.trustedRoot.map { $0.hasPrefix("/") ? $0 : project + "/" + $0 }))
        let report = try await VerifyFilesOperation.run(request, in: context, emit: ItemSink { _ in })
        let findings = report.files.filter { $0.verdict != .pass }.map { file in
            Finding(rule: file.code ?? "verify-failed", message: file.reason ?? "verification failed", file: relative(file.artifact, project))
        }
        return (findings.isEmpty, findings, "\(report.passed) of \(report.files.count) signed file(s) verified")
    }

    /// `cleanup` of the project (stale build artefacts out before the build); its removals are notes.
    private static func cleanup(project: String, context: OperationContext) async throws -> Outcome {
        let report = try await CleanupOperation.run(CleanupOperation.Request(root: project), in: context)
        let findings = report.targets.map { target in
            Finding(
                rule: "cleanup-removed", message: "removed \(target.path) (\(target.bytes) bytes)", file: relative(target.path, project),
                level: "note")
        }
        if let failure = report.failure { return (false, findings, failure.description) }
        let removed = report.removed ?? report.planned
        return (true, findings, "removed \(removed.files) files and \(removed.directories) directories (\(removed.bytes) bytes)")
    }

    /// Every `SHA256SUMS` and `*.sha256` manifest in `dist/`, each name resolved beside its manifest.
    private static func digestCheck(dist: String) -> Outcome {
        let manifests = (NativePath.entries(ofDirectory: dist) ?? []).filter { $0 == "SHA256SUMS" || $0.hasSuffix(".sha256") }.sorted()
        guard !manifests.isEmpty else { return (true, [], "no SHA256SUMS or *.sha256 manifest in dist/") }
        var findings: [Finding] = []
        var checked = 0
        for manifest in manifests {
            let path = dist + "/" + manifest
            guard let bytes = try? FileReader.contents(of: path) else {
                findings.append(Finding(rule: "digest-unreadable", message: "cannot read \(manifest)", file: "dist/" + manifest))
                continue
            }
            let parsed = ChecksumManifest(bytes: bytes, algorithm: .sha256)
            for line in parsed.malformedLines {
                findings.append(
                    Finding(rule: "digest-malformed", message: "improperly formatted checksum line", file: "dist/" + manifest, line: line))
            }
            for entry in parsed.entries {
                checked += 1
                let name = entry.line.name
                do {
                    let actual = try DigestAlgorithm.sha256.hash(fileAt: name.hasPrefix("/") ? name : dist + "/" + name)
                    if actual != entry.line.digest {
                        findings.append(Finding(rule: "digest-mismatch", message: "\(name): FAILED (checksum differs)", file: "dist/" + manifest))
                    }
                } catch {
                    findings.append(Finding(rule: "digest-unreadable", message: "\(name): FAILED open or read (\(error))", file: "dist/" + manifest))
                }
            }
        }
        return (findings.isEmpty, findings, "\(checked) file(s) in \(manifests.count) manifest(s), \(findings.count) problem(s)")
    }

    /// Every wheel in `dist/` against its RECORD (paths, SHA-256 digests, sizes) and metadata.
    private static func wheelRecord(dist: String) -> Outcome {
        let wheels = (NativePath.entries(ofDirectory: dist) ?? []).filter { $0.hasSuffix(".whl") }.sorted()
        guard !wheels.isEmpty else { return (true, [], "no wheel in dist/") }
        var findings: [Finding] = []
        for wheel in wheels {
            do {
                _ = try WheelInspector.inspect(dist + "/" + wheel)
            } catch {
                findings.append(Finding(rule: "wheel-record", message: "\(error)", file: "dist/" + wheel))
            }
        }
        return (findings.isEmpty, findings, "\(wheels.count) wheel(s), \(findings.count) failing their RECORD")
    }

    static func relative(_ path: String, _ project: String) -> String {
        path.hasPrefix(project + "/") ? String(path.dropFirst(project.count + 1)) : path
    }
}
