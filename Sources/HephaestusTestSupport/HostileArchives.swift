import Foundation

/// The archives written by `fixtures/hostile-archives/make.py`, generated once per test process.
public enum HostileArchives {
    /// The directory holding them (created on first use).
    public static let directory: String = {
        let directory = NSTemporaryDirectory() + "/hephaestus-hostile-archives-\(getpid())"
        if !FileManager.default.fileExists(atPath: directory + "/benign.tar.gz") {
            let script = FakeGitHubServer.projectRoot.appendingPathComponent("fixtures/hostile-archives/make.py").path
            _ = try? ProcessResult.runTool("python3", [script, directory])
        }
        return directory
    }()

    public static func path(_ name: String) -> String { directory + "/" + name }
}
