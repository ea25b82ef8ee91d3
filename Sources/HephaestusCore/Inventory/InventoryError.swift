import HephaestusPlatform

/// Failures of the attestation inventory and of backfill runs (the inventory's store lives in HephaestusInventory;
/// the errors live here so that the exit-code table covers them).
public enum InventoryError: CodedError, Equatable {
    case missing(path: String)
    case schema(path: String, reason: String)
    case runNotFound(String)
    case runInProgress(String)
    case untiedAsset(release: String, asset: String, reason: String)
    case bundleConflict(release: String, asset: String)

    public enum Code: String, CaseIterable, Sendable {
        case missing = "inventory.missing"
        case schema = "inventory.schema"
        case runNotFound = "backfill.run-not-found"
        case runInProgress = "backfill.run-in-progress"
        case untiedAsset = "backfill.untied-asset"
        case bundleConflict = "backfill.bundle-conflict"
    }

    public var errorCode: Code {
        switch self {
        case .missing: .missing
        case .schema: .schema
        case .runNotFound: .runNotFound
        case .runInProgress: .runInProgress
        case .untiedAsset: .untiedAsset
        case .bundleConflict: .bundleConflict
        }
    }

    public var code: String { errorCode.rawValue }

    public var description: String {
        switch self {
        case .missing(let path): "no inventory at \(path) (run `hephaestus inventory scan` first, or pass --inventory PATH)"
        case .schema(let path, let reason): "inventory \(path) cannot be used: \(reason)"
        case .runNotFound(let id): "no backfill run \(id) in the inventory (see `hephaestus backfill status`)"
        case .runInProgress(let id): "backfill run \(id) is still marked running; wait for it or pass --force if its process is gone"
        case .untiedAsset(let release, let asset, let reason):
            "refusing to sign \(release)/\(asset): its bytes cannot be tied to a published digest (\(reason))"
        case .bundleConflict(let release, let asset):
            "\(release) already has a bundle asset for \(asset) that does not verify for it: refusing to overwrite (inspect and delete it by hand)"
        }
    }
}
