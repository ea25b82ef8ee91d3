import Foundation
import HephaestusCore
import HephaestusPlatform

/// The dashboard as one self-contained HTML document: no script, no external resource (the stylesheet is inline and
/// allowed by its hash in the Content-Security-Policy), a chart drawn as inline SVG, and a `<meta http-equiv=refresh>`
/// that reloads it every ``refreshSeconds``. Every value from a request or the store is HTML-escaped.
enum DashboardPage {
    static let refreshSeconds = 10

    static let style = """
        body{font:14px/1.4 system-ui,sans-serif;margin:0;background:#f6f7f9;color:#1d232b}
        header{background:#1d2b3a;color:#fff;padding:12px 20px;display:flex;justify-content:space-between;align-items:center}
        header h1{font-size:18px;margin:0}header form{display:inline}header button{margin-left:12px}
        main{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:16px;padding:16px}
        section{background:#fff;border:1px solid #d8dde3;border-radius:6px;padding:12px 16px;overflow-x:auto}
        #audit{grid-column:1/-1}td{white-space:nowrap}
        h2{font-size:15px;margin:0 0 8px}table{border-collapse:collapse;width:100%}
        th,td{text-align:left;padding:3px 6px;border-bottom:1px solid #eceff2;font-variant-numeric:tabular-nums}
        .figures{display:flex;gap:24px;flex-wrap:wrap;margin-bottom:8px}.figure b{display:block;font-size:20px}
        .ok{color:#1a7f37}.bad{color:#b42318}.muted{color:#667085}svg rect{fill:#3b82f6}
        .login{max-width:420px;margin:60px auto;background:#fff;padding:24px;border:1px solid #d8dde3;border-radius:6px}
        .login input{width:100%;box-sizing:border-box;padding:6px;margin:8px 0}
        """

    /// The CSP source allowing exactly ``style``.
    static let styleHash = "'sha256-\(Base64.encode(DigestAlgorithm.sha256.hash(Array(style.utf8)).bytes))'"

    static let contentSecurityPolicy =
        "default-src 'none'; style-src \(styleHash); img-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    static func escape(_ text: String) -> String { HTMLText.escape(text) }

    static func document(title: String, refresh: Bool, body: String) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>\(escape(title))</title>\
        \(refresh ? "<meta http-equiv=\"refresh\" content=\"\(refreshSeconds)\">" : "")\
        <meta name="viewport" content="width=device-width,initial-scale=1"><style>\(style)</style></head>
        <body>\(body)</body></html>
        """
    }

    /// The sign-in form: a token posted (never in a URL), exchanged for a session cookie.
    static func login(message: String?) -> String {
        document(
            title: "Hephaestus dashboard: sign in", refresh: false,
            body: """
                <div class="login"><h1>Hephaestus dashboard</h1>\
                <p>Sign in with an account token (any role; <code>hephaestus accounts create NAME --role viewer</code>).</p>\
                \(message.map { "<p class=\"bad\" id=\"login-error\">\(escape($0))</p>" } ?? "")\
                <form method="post" action="/dashboard/login"><label for="token">Token</label>\
                <input id="token" name="token" type="password" autocomplete="off" required>\
                <button type="submit">Sign in</button></form></div>
                """)
    }

    static func seconds(_ value: Double) -> String {
        value < 1 ? String(format: "%.1f ms", value * 1000) : String(format: "%.2f s", value)
    }

    static func time(_ date: Date?) -> String { date.map { RFC3339.string($0) } ?? "never" }

    static func table(_ id: String, _ headers: [String], _ rows: [[String]], empty: String) -> String {
        guard !rows.isEmpty else { return "<p class=\"muted\" id=\"\(id)\">\(escape(empty))</p>" }
        let head = headers.map { header -> String in "<th>\(escape(header))</th>" }.joined()
        let body = rows.map { row -> String in "<tr>" + row.map { cell -> String in "<td>\(cell)</td>" }.joined() + "</tr>" }.joined()
        return "<table id=\"\(id)\"><thead><tr>\(head)</tr></thead><tbody>\(body)</tbody></table>"
    }

    static func figure(_ id: String, _ label: String, _ value: String) -> String {
        "<div class=\"figure\"><span class=\"muted\">\(escape(label))</span><b id=\"\(id)\">\(escape(value))</b></div>"
    }

    static func chart(_ buckets: [Int]) -> String {
        let peak = max(1, buckets.max() ?? 1)
        let bars = buckets.enumerated().map { index, count -> String in
            let height = Int((Double(count) / Double(peak) * 60).rounded())
            return "<rect x=\"\(index * 16)\" y=\"\(60 - height)\" width=\"14\" height=\"\(height)\"><title>\(count)</title></rect>"
        }.joined()
        return
            "<svg id=\"request-chart\" width=\"480\" height=\"60\" viewBox=\"0 0 480 60\" role=\"img\" aria-label=\"requests per 10 s, last 5 minutes\">\(bars)</svg>"
    }

    static func outcomeRows(_ rows: [DashboardModel.OutcomeRow]) -> [[String]] {
        rows.map { row in
            let health: String
            switch row.last?.outcome {
            case nil: health = "<span class=\"muted\">never run</span>"
            case "success": health = "<span class=\"ok\">ok</span>"
            default: health = "<span class=\"bad\">\(escape(row.last?.outcome ?? ""))</span>"
            }
            return [escape(row.operation), "\(row.success)", "\(row.failure)", "\(row.error)", health, escape(time(row.last?.time))]
        }
    }

    static func render(_ model: DashboardModel) -> String {
        let uptime = Int(model.now.timeIntervalSince(model.started))
        let header = """
            <header><h1>Hephaestus service</h1><div><span id="account">\(escape(model.account)) (\(model.role.rawValue))</span> · \
            <span class="muted">version \(escape(HephaestusVersion.current)), up \(uptime / 3600)h \(uptime / 60 % 60)m, \
            updated <span id="updated">\(escape(RFC3339.string(model.now)))</span></span>\
            <form method="post" action="/dashboard/logout"><button type="submit">Sign out</button></form></div></header>
            """
        let requests = """
            <section id="requests"><h2>Requests (REST and gRPC)</h2><div class="figures">\
            \(figure("request-rate", "requests/s, last minute", String(format: "%.2f", model.requestRate)))\
            \(figure("request-count", "requests, last 5 min", "\(model.windowRequests)"))\
            \(figure("latency-p50", "p50", seconds(model.p50)))\(figure("latency-p95", "p95", seconds(model.p95)))\
            \(figure("latency-p99", "p99", seconds(model.p99)))\(figure("server-errors", "server errors", "\(model.serverErrors)"))\
            \(figure("refused", "refused (401/403)", "\(model.refusedRecently)"))</div>\(chart(model.histogram))\
            \(table("routes", ["route", "requests", "server errors", "p50", "p95", "last status"], model.routes.prefix(15).map { row in
                [escape(row.route), "\(row.count)", "\(row.failed)", seconds(row.p50), seconds(row.p95), escape(row.lastStatus)]
            }, empty: "No requests yet."))</section>
            """
        let verification = """
            <section id="verification"><h2>Verification outcomes</h2>\
            \(table("verification-outcomes", ["operation", "pass", "fail", "error", "last", "at"], outcomeRows(model.verification), empty: "No verifications yet."))\
            <h2>Failures by step</h2>\
            \(table("verification-failures", ["step", "code", "count"], model.failures.map { [escape($0.step), escape($0.code), "\($0.count)"] }, empty: "No failed verifications."))\
            </section>
            """
        let tasks = """
            <section id="tasks"><h2>Task queue</h2><div class="figures">\(figure("tasks-queued", "queued", "\(model.queued)"))\
            \(figure("tasks-running", "running", "\(model.running)"))</div>\
            \(table("recent-tasks", ["task", "operation", "status", "account", "runner", "attempts", "updated"], model.recentTasks.map { task in
                [escape(String(task.id.prefix(8))), escape(task.operation), escape(task.status.rawValue), escape(task.account), escape(task.runner ?? ""),
                 "\(task.attempts)", escape(RFC3339.string(task.updatedAt))]
            }, empty: "No tasks."))</section>
            """
        let ingestion = """
            <section id="ingestion"><h2>Ingestion health</h2>\
            \(table("ingestion-health", ["operation", "ok", "failed", "error", "last", "at"], outcomeRows(model.ingestion), empty: ""))</section>
            """
        let remediation = """
            <section id="remediation"><h2>Remediation (guard-rails)</h2>\
            \(table("remediation-totals", ["operation", "ok", "failed", "error", "last", "at"], outcomeRows([model.remediationTotals]), empty: ""))\
            \(table("remediation-runs", ["at", "outcome", "duration"], model.remediation.map { [escape(time($0.time)), escape($0.outcome), seconds($0.seconds)] }, empty: "No guard-rails runs yet."))\
            </section>
            """
        let audit: String
        if let records = model.audit {
            audit = """
                <section id="audit"><h2>Audit events (latest)</h2>\
                \(table("audit-events", ["#", "time", "account", "transport", "operation", "outcome", "status", "code"], records.reversed().map { record in
                    let entry = record.entry
                    return ["\(record.sequence)", escape(RFC3339.string(entry.time)), escape(entry.account ?? "-"), entry.transport.rawValue,
                            escape(entry.operation), entry.outcome.rawValue, escape(entry.status), escape(entry.code ?? "")]
                }, empty: "No audit records."))</section>
                """
        } else {
            audit = """
                <section id="audit"><h2>Audit events</h2><p class="muted" id="audit-restricted">The audit log is shown to admin \
                accounts only (as GET /v1/audit). Refused requests in the last 5 minutes: \(model.refusedRecently).</p></section>
                """
        }
        return document(
            title: "Hephaestus dashboard", refresh: true,
            body: header + "<main>" + requests + verification + tasks + ingestion + remediation + audit + "</main>")
    }
}
