import Foundation
import HephaestusService

/// What the dashboard page shows, computed from the service's activity (requests, operations, verification failures
/// this process saw) and its store (the task queue, the audit log).
struct DashboardModel: Sendable {
    struct RouteRow: Sendable, Equatable {
        let route: String
        let count: Int
        let failed: Int
        let p50: Double
        let p95: Double
        let lastStatus: String
    }

    struct OutcomeRow: Sendable, Equatable {
        let operation: String
        let success: Int
        let failure: Int
        let error: Int
        let last: ServiceActivity.OperationRun?
    }

    struct FailureRow: Sendable, Equatable {
        let step: String
        let code: String
        let count: Int
    }

    let now: Date
    let started: Date
    let account: String
    let role: Role
    /// Requests per second over the last minute.
    let requestRate: Double
    /// Requests in the latency window (5 minutes), their 50th/95th/99th percentile seconds, server errors.
    let windowRequests: Int
    let p50: Double
    let p95: Double
    let p99: Double
    let serverErrors: Int
    /// Requests per 10 seconds over the last 5 minutes, oldest first (30 buckets).
    let histogram: [Int]
    let routes: [RouteRow]
    let verification: [OutcomeRow]
    let failures: [FailureRow]
    let queued: Int
    let running: Int
    let recentTasks: [TaskRecord]
    let ingestion: [OutcomeRow]
    let remediation: [ServiceActivity.OperationRun]
    let remediationTotals: OutcomeRow
    let refusedRecently: Int
    /// The latest audit records (admins only; nil for other roles).
    let audit: [AuditRecord]?

    static let latencyWindow: TimeInterval = 300
    /// Operations that bring data in: what "ingestion health" is about.
    static let ingestionOperations = ["analytics.ingest", "inventory.scan", "backfill.run"]

    init(
        activity: ServiceActivity, now: Date, account: String, role: Role, queued: Int, running: Int, recentTasks: [TaskRecord],
        audit: [AuditRecord]?
    ) {
        self.now = now
        started = activity.started
        self.account = account
        self.role = role
        let requests = activity.requests
        let lastMinute = requests.filter { now.timeIntervalSince($0.time) <= 60 }
        requestRate = Double(lastMinute.count) / 60
        let window = requests.filter { now.timeIntervalSince($0.time) <= Self.latencyWindow }
        let latencies = window.map(\.seconds).sorted()
        windowRequests = window.count
        p50 = Self.percentile(latencies, 0.50)
        p95 = Self.percentile(latencies, 0.95)
        p99 = Self.percentile(latencies, 0.99)
        serverErrors = window.filter(\.failed).count
        refusedRecently = window.filter { ["401", "403", "UNAUTHENTICATED", "PERMISSION_DENIED"].contains($0.status) }.count
        var buckets = [Int](repeating: 0, count: 30)
        for request in window {
            let age = now.timeIntervalSince(request.time)
            let index = 29 - min(29, max(0, Int(age / 10)))
            buckets[index] += 1
        }
        histogram = buckets
        routes = Dictionary(grouping: requests, by: \.route).map { route, samples in
            let sorted = samples.map(\.seconds).sorted()
            return RouteRow(
                route: route, count: samples.count, failed: samples.filter(\.failed).count, p50: Self.percentile(sorted, 0.5),
                p95: Self.percentile(sorted, 0.95), lastStatus: samples.last?.status ?? "")
        }.sorted { ($0.count, $1.route) > ($1.count, $0.route) }

        let totals = activity.operationTotals
        let lastRuns = activity.lastRuns
        func row(_ operation: String) -> OutcomeRow {
            let counts = totals[operation] ?? [:]
            return OutcomeRow(
                operation: operation, success: counts["success"] ?? 0, failure: counts["failure"] ?? 0, error: counts["error"] ?? 0,
                last: lastRuns[operation])
        }
        verification = totals.keys.filter { $0.hasPrefix("verify.") || $0 == "release.verify" || $0 == "inventory.audit" }.sorted().map(row)
        failures = activity.verificationFailures.flatMap { step, codes in
            codes.map { FailureRow(step: step, code: $0.key, count: $0.value) }
        }.sorted { ($0.count, $1.step, $1.code) > ($1.count, $0.step, $0.code) }
        self.queued = queued
        self.running = running
        self.recentTasks = recentTasks
        ingestion = Self.ingestionOperations.map(row)
        remediation = Array(activity.operations.filter { $0.operation.hasPrefix("guard-rails.") }.suffix(10).reversed())
        remediationTotals = row("guard-rails.run")
        self.audit = audit
    }

    /// The `fraction` percentile of sorted values (nearest rank); 0 when empty.
    static func percentile(_ sorted: [Double], _ fraction: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((fraction * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count - 1, max(0, rank - 1))]
    }
}
