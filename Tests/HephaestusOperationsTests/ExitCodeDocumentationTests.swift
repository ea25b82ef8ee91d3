import Foundation
import HephaestusCore
import HephaestusOperations
import HephaestusPlatform
import Testing

@Suite("Exit codes")
struct ExitCodeDocumentation {
    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    @Test("Every code is declared once, by one error type listed once")
    func unique() {
        let codes = ExitCodeTable.rows.map(\.code)
        #expect(Set(codes).count == codes.count, "duplicate codes: \(Dictionary(grouping: codes) { $0 }.filter { $1.count > 1 }.keys.sorted())")
        let names = ErrorCatalogue.errorTypeNames
        #expect(Set(names).count == names.count, "an error type is listed twice")
        #expect(codes.contains(ExitCodeTable.usageCode) && codes.contains(ExitCodeTable.internalCode))
    }

    @Test("A code's exit status is its category's: checks map to 1, usage to 64, missing input to 66, the rest to 70")
    func conventions() {
        for row in ExitCodeTable.rows {
            #expect(row.status == row.category.exitStatus, "\(row.code)")
            #expect(ExitCodeTable.status(forCode: row.code) == row.status, "\(row.code)")
        }
        #expect(ExitCodeTable.status(for: CryptoError.invalidSignature) == .checkFailed)
        #expect(CryptoError.invalidSignature.category == .checkFailed)
        #expect(ExitCodeTable.status(forCode: ExitCodeTable.usageCode).rawValue == 64)
        #expect(ExitCodeTable.status(for: GeneralError.invalidArgument("x")) == .usage)
        #expect(ExitCodeTable.status(for: FileError.notFound(path: "x")).rawValue == 66)
        #expect(ExitCodeTable.status(for: FileError.alreadyExists(path: "x")).rawValue == 73)
        #expect(ExitCodeTable.status(for: FileError.writeFailed(path: "x", reason: "y")).rawValue == 73)
        #expect(ExitCodeTable.status(forCode: ExitCodeTable.internalCode) == .software)
        #expect(ExitCodeTable.status(forCode: "no.such-code") == .software)
        struct Unknown: Error {}
        #expect(ExitCodeTable.status(for: Unknown()) == .software)
    }

    @Test("Every category maps to a non-success exit status, a 4xx/5xx HTTP status and a non-OK gRPC code")
    func categories() {
        for category in ErrorCategory.allCases {
            #expect(category.exitStatus != .success, "\(category)")
            #expect((400..<600).contains(category.httpStatus), "\(category)")
            #expect(category.grpcStatus != .ok, "\(category)")
        }
        #expect(ErrorCategory.checkFailed.exitStatus == .checkFailed)
        #expect(ErrorCategory.notFound.httpStatus == 404 && ErrorCategory.notFound.grpcStatus.name == "NOT_FOUND")
        #expect(ErrorCategory.internalError.httpStatus == 500 && ErrorCategory.internalError.grpcStatus.rawValue == 13)
        #expect(Set(ErrorCategory.allCases.map(\.rawValue)).count == ErrorCategory.allCases.count)
    }

    @Test("docs/reference/exit-codes.md is generated from the table (RECORD_SNAPSHOTS=1 regenerates it)")
    func documentationIsCurrent() throws {
        let path = Self.repositoryRoot.appendingPathComponent("docs/reference/exit-codes.md")
        let generated = ExitCodeTable.markdown()
        if ProcessInfo.processInfo.environment["RECORD_SNAPSHOTS"] == "1" {
            try Data(generated.utf8).write(to: path)
        }
        let committed = try String(contentsOf: path, encoding: .utf8)
        #expect(committed == generated, "docs/reference/exit-codes.md is stale: run RECORD_SNAPSHOTS=1 swift test --filter ExitCodeDocumentation")
    }
}
