import Foundation
import HephaestusPlatform

/// The machine-readable renderings of a guard-rails report: SARIF 2.1.0 and JUnit XML.
public enum GuardRailsFormats {
    /// SARIF 2.1.0 (OASIS): one run per step that ran, its findings as results with their rule, file, line and
    /// column; a failed step without parsed findings is one result naming the step.
    public static func sarif(_ report: GuardRailsReport, version: String) -> [UInt8] {
        let runs: [[String: Any]] = report.steps.filter { $0.status != .notRun && $0.status != .skippedOffline }.map { step in
            let rules = Array(Set(step.findings.map(\.rule))).sorted()
            var driver: [String: Any] = [
                "name": step.name, "fullName": "hephaestus guard-rails step \(step.name)", "version": version,
                "informationUri": "https://github.com/hephaestus-release/hephaestus/blob/main/docs/toolkit.md",
            ]
            driver["rules"] = rules.map { ["id": $0] }
            let results: [[String: Any]] = step.findings.map { finding in
                var result: [String: Any] = [
                    "ruleId": finding.rule, "ruleIndex": rules.firstIndex(of: finding.rule) ?? 0, "level": finding.level,
                    "message": ["text": finding.message.isEmpty ? finding.rule : finding.message],
                ]
                if let file = finding.file {
                    var physical: [String: Any] = ["artifactLocation": ["uri": uri(file), "uriBaseId": "PROJECTROOT"]]
                    if let line = finding.line, line >= 1 {
                        var region: [String: Any] = ["startLine": line]
                        if let column = finding.column, column >= 1 { region["startColumn"] = column }
                        physical["region"] = region
                    }
                    result["locations"] = [["physicalLocation": physical]]
                }
                return result
            }
            var invocation: [String: Any] = ["executionSuccessful": !step.isFailure, "commandLine": step.command.joined(separator: " ")]
            if let status = step.exitStatus { invocation["exitCode"] = Int(status) }
            if let reason = step.reason, step.isFailure {
                invocation["toolExecutionNotifications"] = [["level": "error", "message": ["text": reason]]]
            }
            return [
                "tool": ["driver": driver], "results": results, "invocations": [invocation],
                "originalUriBaseIds": ["PROJECTROOT": ["uri": "file://" + uri(report.project) + "/"]],
            ]
        }
        let log: [String: Any] = ["$schema": "https://json.schemastore.org/sarif-2.1.0.json", "version": "2.1.0", "runs": runs]
        let data = (try? JSONSerialization.data(withJSONObject: log, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return Array(data) + [0x0A]
    }

    /// JUnit XML as CI systems read it (Jenkins, GitLab, GitHub Actions reporters): one test case per step; a failed
    /// step is a `<failure>` listing its findings, a missing tool or timeout an `<error>`, a skipped step `<skipped>`.
    public static func junit(_ report: GuardRailsReport) -> [UInt8] {
        let failures = report.steps.filter { $0.status == .failed }.count
        let errors = report.steps.filter { $0.status == .missingTool || $0.status == .timedOut }.count
        let skipped = report.steps.filter { $0.status == .skippedOffline || $0.status == .notRun }.count
        let time = String(format: "%.3f", report.steps.map(\.seconds).reduce(0, +))
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        let counts = "tests=\"\(report.steps.count)\" failures=\"\(failures)\" errors=\"\(errors)\" skipped=\"\(skipped)\" time=\"\(time)\""
        xml += "<testsuites name=\"guard-rails\" \(counts)>\n"
        xml += "  <testsuite name=\"guard-rails\" \(counts)>\n"
        for step in report.steps {
            xml += "    <testcase classname=\"guard-rails\" name=\"\(escape(step.name))\" time=\"\(String(format: "%.3f", step.seconds))\">\n"
            let details = step.findings.map { finding in
                [
                    finding.file.map { path in
                        [path, finding.line.map(String.init), finding.column.map(String.init)].compactMap { $0 }.joined(separator: ":")
                    }, "[\(finding.rule)]", finding.message,
                ]
                .compactMap { $0 }.joined(separator: " ")
            }.joined(separator: "\n")
            let message = escape(step.reason ?? step.status.rawValue)
            switch step.status {
            case .passed: break
            case .failed: xml += "      <failure message=\"\(message)\" type=\"\(step.status.rawValue)\">\(escape(details))</failure>\n"
            case .timedOut, .missingTool: xml += "      <error message=\"\(message)\" type=\"\(step.status.rawValue)\">\(escape(details))</error>\n"
            case .skippedOffline, .notRun: xml += "      <skipped message=\"\(message)\"/>\n"
            }
            if !step.stdout.isEmpty { xml += "      <system-out>\(escape(step.stdout))</system-out>\n" }
            if !step.stderr.isEmpty { xml += "      <system-err>\(escape(step.stderr))</system-err>\n" }
            xml += "    </testcase>\n"
        }
        xml += "  </testsuite>\n</testsuites>\n"
        return Array(xml.utf8)
    }

    /// XML character data and attribute values: the five entities, and characters XML 1.0 forbids dropped.
    static func escape(_ text: String) -> String {
        var escaped = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&apos;"
            case "\t", "\n", "\r": escaped.unicodeScalars.append(scalar)
            default:
                if scalar.value >= 0x20 && !(0xFFFE...0xFFFF).contains(scalar.value) { escaped.unicodeScalars.append(scalar) }
            }
        }
        return escaped
    }

    /// A path as a URI reference (percent-encoded, `/` kept).
    static func uri(_ path: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: ":")
        return path.addingPercentEncoding(withAllowedCharacters: allowed) ?? path
    }
}
