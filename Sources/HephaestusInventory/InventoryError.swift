import HephaestusPlatform

/// Failures of the attestation inventory and of backfill runs.
public enum InventoryError: CodedError, Equatable {
    case missing(path: String)
    case schema(path: String, reason: String)
    /// The path holds something else than an inventory (another program's SQLite database, a file that is not one).
    case foreign(path: String, reason: String)
    case runNotFound(String)
    case runInProgress(String)
    case untiedAsset(release: String, asset: String, reason: String)
    case bundleConflict(release: String, asset: String)
    /// The verdict of `inventory audit`: the findings it listed.
    case findings(count: Int)
    /// The verdict of `backfill run`: assets it refused or that conflicted (each line says why).
    case backfillIncomplete(refused: Int, failed: Int)

    public enum Code: String, ErrorCode {
        case missing = "inventory.missing"
        case schema = "inventory.schema"
        case foreign = "inventory.foreign"
        case runNotFound = "backfill.run-not-found"
        case runInProgress = "backfill.run-in-progress"
        case untiedAsset = "backfill.untied-asset"
        case bundleConflict = "backfill.bundle-conflict"
        case findings = "inventory.findings"
        case backfillIncomplete = "backfill.incomplete"

        public var definition: (category: ErrorCategory, summary: String) {
            switch self {
            case .missing: (.notFound, "the inventory file does not exist")
            case .schema: (.invalidInput, "the inventory was written by a newer Hephaestus, or its schema or rows are unusable")
            case .foreign:
                (.invalidInput, "the inventory path holds another SQLite database or a file that is not one: refused, left unchanged")
            case .runNotFound: (.notFound, "`backfill rollback` names an unknown run")
            case .runInProgress: (.configuration, "`backfill rollback` names a run still marked running")
            case .untiedAsset: (.checkFailed, "an asset's bytes do not match its SHA-256 manifest: never signed")
            case .bundleConflict: (.checkFailed, "a release already carries a bundle asset that does not verify for its subject")
            case .findings:
                (.checkFailed, "`inventory audit` found unsigned, failing, unexpectedly signed or changed assets (each finding is listed)")
            case .backfillIncomplete: (.checkFailed, "`backfill run` refused or could not sign some assets (each line says why)")
            }
        }
    }

    /// The codes opening an inventory can end with (besides `inventory.missing` where it must exist).
    public static let openingCodes =
        [Code.schema, Code.foreign].map(\.rawValue)
        + [FileError.Code.isDirectory, FileError.Code.notRegularFile, FileError.Code.permissionDenied].map(\.rawValue)

    public var errorCode: Code {
        switch self {
        case .missing: .missing
        case .schema: .schema
        case .foreign: .foreign
        case .runNotFound: .runNotFound
        case .runInProgress: .runInProgress
        case .untiedAsset: .untiedAsset
        case .bundleConflict: .bundleConflict
        case .findings: .findings
        case .backfillIncomplete: .backfillIncomplete
        }
    }

    public var description: String {
        switch self {
        case .missing(let path): "no inventory at \(path) (run `hephaestus inventory scan` first, or pass --inventory PATH)"
        case .schema(let path, let reason): "inventory \(path) cannot be used: \(reason)"
        case .foreign(let path, let reason):
            "\(path) is not a Hephaestus inventory: \(reason); refusing to use or change it (pass --inventory with another path)"
        case .runNotFound(let id): "no backfill run \(id) in the inventory (see `hephaestus backfill status`)"
        case .runInProgress(let id): "backfill run \(id) is still marked running; wait for it or pass --force if its process is gone"
        case .untiedAsset(let release, let asset, let reason):
            "refusing to sign \(release)/\(asset): its bytes cannot be tied to a published digest (\(reason))"
        case .bundleConflict(let release, let asset):
            "\(release) already has a bundle asset for \(asset) that does not verify for it: refusing to overwrite (inspect and delete it by hand)"
        case .findings(let count): "the inventory audit found \(count) finding(s)"
        case .backfillIncomplete(let refused, let failed): "backfill left \(refused) asset(s) refused and \(failed) failed"
        }
    }
}
