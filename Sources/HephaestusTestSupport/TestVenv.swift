import Foundation

/// The Python venv holding the independent peers the tests run (`sigstore`, `pypiserver`, `twine`), installed by
/// `scripts/bootstrap test` from `scripts/python-test-tools.txt`.
///
/// Found through `$HEPHAESTUS_TEST_VENV` (set by the bootstrap), else the checkout's `.venv-tests` or `.venv-bench`.
/// When the bootstrap set the variable, a missing tool is a failure, not a skip.
public enum TestVenv {
    public static var projectRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// The executable `name` from the venv's `bin/`, or nil.
    public static func tool(_ name: String) -> String? {
        var candidates: [String] = []
        if let venv = ProcessInfo.processInfo.environment["HEPHAESTUS_TEST_VENV"] { candidates.append("\(venv)/bin/\(name)") }
        candidates += [".venv-tests", ".venv-bench"].map { projectRoot.appendingPathComponent("\($0)/bin/\(name)").path }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// True when the test job promised the venv (so a missing tool must fail rather than skip).
    public static var isRequired: Bool { ProcessInfo.processInfo.environment["HEPHAESTUS_TEST_VENV"] != nil }

    /// Whether tests needing `name` should run (they fail later, loudly, if it is required but missing).
    public static func isUsable(_ name: String) -> Bool { tool(name) != nil || isRequired }
}
