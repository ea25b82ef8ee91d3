import Foundation
import HephaestusPlatform

/// The self-contained HTML page of an inventory report: inline CSS and an inline SVG chart, no scripts, fonts,
/// images or any other request; every value escaped.
struct InventoryReportHTML {
    let report: InventoryReport

    func render() -> String {
        var page = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
            <title>Hephaestus attestation inventory</title>
            <style>
            body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:2rem;color:#1d2330;background:#fff}
            h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #d8dce4;padding-bottom:.3rem}
            .cards{display:flex;flex-wrap:wrap;gap:.8rem}.card{border:1px solid #d8dce4;border-radius:6px;padding:.6rem 1rem;min-width:9rem}
            .card b{display:block;font-size:1.4rem}table{border-collapse:collapse;width:100%;font-size:.9rem}
            th,td{border-bottom:1px solid #e6e8ee;padding:.3rem .5rem;text-align:left;vertical-align:top}
            th{background:#f4f6f9}code{font-size:.82rem;word-break:break-all}
            .pass{color:#176c2f}.fail{color:#a3141c}.none{color:#8a5a00}.legend span{margin-right:1rem}
            .sw{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:middle}
            </style></head><body>
            <h1>Attestation inventory</h1>
            <p>Generated \(escape(report.generatedAt)) from <code>\(escape(report.inventory))</code>; every bundle verified with the trusted root \
            of SHA-256 <code>\(escape(report.trustedRootSHA256))</code>.</p>

            """
        page += summary() + chart() + identities() + findings() + releases()
        page += "</body></html>\n"
        return page
    }

    private func summary() -> String {
        let s = report.summary
        let cards = [
            ("Repositories", s.repositories), ("Releases", s.releases), ("Signed releases", s.signedReleases),
            ("Partially signed", s.partiallySignedReleases), ("Signed, failing", s.failingReleases), ("Unsigned releases", s.unsignedReleases),
            ("Assets", s.assets),
            ("Signed assets", s.signedAssets), ("Failing bundles", s.failingBundles), ("Findings", s.findings),
        ]
        return "<h2>Summary</h2><div class=\"cards\">"
            + cards.map { "<div class=\"card\"><b>\($0.1)</b>\(escape($0.0))</div>" }.joined() + "</div>\n"
    }

    /// Stacked bars per month: signed (green), partial (amber), signed but failing (purple), unsigned (red).
    private func chart() -> String {
        let months = report.timeline
        var svg = "<h2>Signed and unsigned releases over time</h2>\n"
        guard !months.isEmpty else { return svg + "<p>No releases recorded.</p>\n" }
        let maximum = max(1, months.map { $0.signed + $0.partial + $0.failing + $0.unsigned }.max() ?? 1)
        let bar = 36
        let gap = 18
        let height = 160
        let left = 30
        let bottom = 40
        let width = left + months.count * (bar + gap) + gap
        svg += "<svg role=\"img\" aria-label=\"Signed and unsigned releases per month\" width=\"\(width)\" height=\"\(height + bottom)\" "
        svg += "viewBox=\"0 0 \(width) \(height + bottom)\" xmlns=\"http://www.w3.org/2000/svg\">"
        svg += "<line x1=\"\(left)\" y1=\"\(height)\" x2=\"\(width)\" y2=\"\(height)\" stroke=\"#888\"/>"
        svg += "<text x=\"2\" y=\"12\" font-size=\"10\">\(maximum)</text><text x=\"2\" y=\"\(height)\" font-size=\"10\">0</text>"
        for (index, month) in months.enumerated() {
            let x = left + gap + index * (bar + gap)
            var y = height
            for (count, color, label) in [
                (month.signed, "#2e8b57", "signed"), (month.partial, "#e0a100", "partially signed"), (month.failing, "#7b2d8e", "signed, failing"),
                (month.unsigned, "#c0392b", "unsigned"),
            ] where count > 0 {
                let h = count * (height - 10) / maximum
                y -= h
                svg +=
                    "<rect x=\"\(x)\" y=\"\(y)\" width=\"\(bar)\" height=\"\(h)\" fill=\"\(color)\"><title>\(escape(month.month)): \(count) \(label)</title></rect>"
            }
            svg += "<text x=\"\(x + bar / 2)\" y=\"\(height + 14)\" font-size=\"9\" text-anchor=\"middle\">\(escape(month.month))</text>"
        }
        svg += "</svg>\n<p class=\"legend\"><span><i class=\"sw\" style=\"background:#2e8b57\"></i>signed</span>"
        svg += "<span><i class=\"sw\" style=\"background:#e0a100\"></i>partially signed</span>"
        svg += "<span><i class=\"sw\" style=\"background:#7b2d8e\"></i>signed, failing</span>"
        svg += "<span><i class=\"sw\" style=\"background:#c0392b\"></i>unsigned</span></p>\n"
        svg += "<table><tr><th>Month</th><th>Signed</th><th>Partially signed</th><th>Signed, failing</th><th>Unsigned</th></tr>"
        svg += months.map {
            "<tr><td>\(escape($0.month))</td><td>\($0.signed)</td><td>\($0.partial)</td><td>\($0.failing)</td><td>\($0.unsigned)</td></tr>"
        }.joined()
        return svg + "</table>\n"
    }

    private func identities() -> String {
        var html = "<h2>Signing identities</h2>\n"
        guard !report.identities.isEmpty else { return html + "<p>No verified bundles.</p>\n" }
        html += "<table><tr><th>Identity</th><th>Issuer</th><th>Bundles</th><th>First signed</th><th>Last signed</th></tr>"
        for item in report.identities {
            html += "<tr><td><code>\(escape(item.identity))</code></td><td><code>\(escape(item.issuer))</code></td><td>\(item.bundles)</td>"
            html += "<td>\(escape(item.firstSigned ?? ""))</td><td>\(escape(item.lastSigned ?? ""))</td></tr>"
        }
        return html + "</table>\n"
    }

    private func findings() -> String {
        var html = "<h2>Findings (\(report.findings.count))</h2>\n"
        guard !report.findings.isEmpty else { return html + "<p class=\"pass\">No findings.</p>\n" }
        html += "<table><tr><th>Kind</th><th>Repository</th><th>Release</th><th>Asset</th><th>Detail</th></tr>"
        for finding in report.findings {
            html += "<tr><td class=\"fail\">\(escape(finding.kind.rawValue))</td><td>\(escape(finding.repository))</td>"
            html += "<td>\(escape(finding.release))</td><td><code>\(escape(finding.asset))</code></td><td>\(escape(finding.detail))</td></tr>"
        }
        return html + "</table>\n"
    }

    private func releases() -> String {
        var html =
            "<h2>Releases</h2>\n<table><tr><th>Repository</th><th>Release</th><th>Published</th><th>State</th><th>Asset</th><th>Manifest</th><th>Bundle</th></tr>"
        for release in report.releases {
            let assets = release.assets.isEmpty ? [nil] : release.assets.map { Optional($0) }
            for asset in assets {
                let bundle: String
                if let info = asset?.bundle {
                    bundle =
                        info.verdict == .pass
                        ? "<span class=\"pass\">verified</span>: <code>\(escape(info.identity ?? ""))</code>"
                        : "<span class=\"fail\">fails</span>: \(escape(info.reason ?? ""))"
                } else {
                    bundle = asset == nil ? "" : "<span class=\"none\">none</span>"
                }
                html += "<tr><td>\(escape(release.repository))</td><td>\(escape(release.tag))</td><td>\(escape(release.publishedAt ?? ""))</td>"
                html +=
                    "<td>\(escape(release.state.description))</td><td><code>\(escape(asset?.name ?? ""))</code></td><td>\(escape(asset?.manifest.rawValue ?? ""))</td><td>\(bundle)</td></tr>"
            }
        }
        return html + "</table>\n"
    }

    private func escape(_ text: String) -> String { HTMLText.escape(text) }
}
