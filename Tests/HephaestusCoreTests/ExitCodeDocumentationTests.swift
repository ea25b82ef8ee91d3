import Foundation
import HephaestusCore
import HephaestusPlatform
import Testing

@Suite("Exit codes")
struct ExitCodeDocumentation {
    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    @Test("Every declared error code has exactly one row in the table")
    func complete() {
        let rowCodes = ExitCodeTable.rows.map(\.code)
        #expect(Set(rowCodes).count == rowCodes.count, "duplicate rows")
        for code in ExitCodeTable.declaredCodes {
            #expect(rowCodes.contains(code), "no exit-code row for \(code)")
        }
        #expect(Set(rowCodes) == Set(ExitCodeTable.declaredCodes))
    }

    @Test("Checks map to 1, usage to 64, missing input to 66")
    func conventions() {
        #expect(ExitCodeTable.status(for: CryptoError.invalidSignature) == .checkFailed)
        #expect(ExitCodeTable.status(forCode: ExitCodeTable.usageCode).rawValue == 64)
        #expect(ExitCodeTable.status(for: FileError.notFound(path: "x")).rawValue == 66)
        struct Unknown: Error {}
        #expect(ExitCodeTable.status(for: Unknown()) == .software)
    }

    @Test("docs/exit-codes.md is generated from the table (RECORD_SNAPSHOTS=1 regenerates it)")
    func documentationIsCurrent() throws {
        let path = Self.repositoryRoot.appendingPathComponent("docs/exit-codes.md")
        let generated = ExitCodeTable.markdown()
        if ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] == "1" {
            try Data(generated.utf8).write(to: path)
        }
        let committed = try String(contentsOf: path, encoding: .utf8)
        #expect(committed == generated, "docs/exit-codes.md is stale: run RECORD_SNAPSHOTS=1 swift test --filter ExitCodeDocumentation")
    }
}
