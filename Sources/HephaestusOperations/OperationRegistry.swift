import HephaestusAnalytics
import HephaestusCore
import HephaestusInventory
import HephaestusLocalSigstore
import HephaestusService
import HephaestusToolkit

/// Every user-facing operation of Hephaestus, in one list: the CLI's commands, the service's routes, the MCP server's
/// tools and the schema export are built from it, so none of them can offer what another lacks.
public enum OperationRegistry {
    public static let operations: [any HephaestusCore.Operation.Type] = [
        VerifyBundleOperation.self,
        VerifyBatchOperation.self,
        VerifyFilesOperation.self,
        VerifyAttestationOperation.self,
        VerifyGitHubAttestationOperation.self,
        // Sign and publish.
        SignFilesOperation.self,
        PublishPyPIOperation.self,
        PublishGitHubOperation.self,
        // Inventory, backfill, dev sigstore.
        InventoryScanOperation.self,
        InventoryAuditOperation.self,
        InventoryReportOperation.self,
        BackfillPlanOperation.self,
        BackfillRunOperation.self,
        BackfillStatusOperation.self,
        BackfillRollbackOperation.self,
        DevSigstoreServeOperation.self,
        DevSigstoreTokenOperation.self,
        // Release.
        ReleaseDownloadOperation.self,
        ReleaseVerifyOperation.self,
        ReleaseInstallOperation.self,
        ReleaseRevokeOperation.self,
        // Digest, trust, token, wheelhouse.
        DigestFilesOperation.self,
        DigestCheckOperation.self,
        TrustShowOperation.self,
        TrustUpdateOperation.self,
        TUFClientOperation.self,
        TokenValidateOperation.self,
        WheelhousePackOperation.self,
        WheelhouseExtractOperation.self,
        // The service's store: accounts, audit log, task workers.
        AccountsCreateOperation.self,
        AccountsListOperation.self,
        AccountsRevokeOperation.self,
        AuditShowOperation.self,
        AuditVerifyOperation.self,
        TasksWorkOperation.self,
        // What front ends and agents read.
        SchemaExportOperation.self,
        // Analytics.
        AnalyticsRankingsOperation.self,
        AnalyticsHotspotsOperation.self,
        AnalyticsIngestOperation.self,
        // Developer toolkit.
        CleanupOperation.self,
        GuardRailsOperation.self,
    ]

    /// The descriptors, in registry order.
    public static var descriptors: [OperationDescriptor] { operations.map { $0.descriptor } }

    /// The operation called `name` (`verify.bundle`).
    public static func operation(named name: String) -> (any HephaestusCore.Operation.Type)? {
        operations.first { $0.descriptor.name == name }
    }
}
