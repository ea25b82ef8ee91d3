import Foundation
import Glibc
import HephaestusCore
import HephaestusPlatform
import HephaestusTestSupport
import Logging

/// A context for in-process runs: no logging, the given environment and confirmation.
func toolkitContext(environment: [String: String] = ["HOME": "/root"], confirmation: any Confirming = RefuseConfirmation()) -> OperationContext {
    OperationContext(logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }), environment: environment, confirmation: confirmation)
}

/// Every entry under `root` (not following symbolic links) as `relative path → kind and size` (a link: its target).
func treeSnapshot(_ root: String) -> [String: String] {
    var snapshot: [String: String] = [:]
    func walk(_ path: String, _ relative: String) {
        var status = stat()
        guard lstat(path, &status) == 0 else { return }
        switch status.st_mode & S_IFMT {
        case S_IFDIR:
            snapshot[relative] = "dir"
            for name in NativePath.entries(ofDirectory: path) ?? [] { walk(path + "/" + name, relative.isEmpty ? name : relative + "/" + name) }
        case S_IFLNK:
            snapshot[relative] = "link:" + ((try? FileManager.default.destinationOfSymbolicLink(atPath: path)) ?? "?")
        default:
            snapshot[relative] = "file:\(status.st_size)"
        }
    }
    walk(root, "")
    return snapshot
}

/// Creates the directories of `path` and writes `contents` there.
func put(_ path: String, _ contents: String = "x") throws {
    try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    try Data(contents.utf8).write(to: URL(fileURLWithPath: path))
}

func makeDirectory(_ path: String) throws {
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
}

func symlink(_ target: String, at path: String) throws {
    try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: target)
}

/// A wheel made by fixtures/wheels/make_wheel.py in `directory`; its path.
func makeWheel(into directory: String, _ name: String, _ version: String, tamperRecord: Bool = false) throws -> String {
    let script = TestVenv.projectRoot.appendingPathComponent("fixtures/wheels/make_wheel.py").path
    let result = try ProcessResult.runTool("python3", [script, directory, name, version] + (tamperRecord ? ["--tamper-record"] : []))
    return result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
}
