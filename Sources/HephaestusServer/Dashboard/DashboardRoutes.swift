import Foundation
import HTTPTypes
import HephaestusCore
import HephaestusService
import Hummingbird
import NIOCore

/// `/dashboard` (viewer role and above). A browser signs in by posting an account token to `/dashboard/login` (a form
/// body, never a URL), which opens a server-side session and sets the `hephaestus_dashboard` cookie (HttpOnly,
/// SameSite=Strict, Path=/dashboard, Secure under TLS). Scripts may instead `POST /dashboard/login` with
/// `Authorization: Bearer` to get a one-time link (`/dashboard/session?code=…`, 60 s, single use) to open in a
/// browser. Every page load goes through the gate with the session's token (authenticated, authorised, audited as
/// `dashboard.read`); state-changing requests (login, logout, code redemption) are refused when the browser says they
/// come from another site (`Origin`, `Sec-Fetch-Site`), so another site cannot sign a browser in or out.
struct DashboardRoutes: Sendable {
    let calls: CallGate
    let telemetry: ServiceTelemetry
    let tasks: any TaskQueue
    let audit: any AuditLog
    let secureCookies: Bool
    let sessions = DashboardSessions()

    static let cookieName = "hephaestus_dashboard"

    func register(on router: Router<ServiceRequestContext>) {
        router.get("/dashboard") { request, context in try await page(request, context) }
        router.post("/dashboard/login") { request, context in try await login(request, context) }
        router.get("/dashboard/session") { request, context in try await redeem(request, context) }
        router.post("/dashboard/logout") { request, context in try await logout(request, context) }
    }

    // MARK: - Routes

    func page(_ request: Request, _ context: ServiceRequestContext) async throws -> Response {
        let session = Self.cookie(request)
        guard let authorization = session.flatMap(sessions.authorization(session:)) ?? request.headers[.authorization] else {
            return Self.html(DashboardPage.login(message: nil), clearCookie: session != nil, secure: secureCookies)
        }
        do {
            let html = try await calls.call(gateRequest(request, context, "read", authorization), status: "200") { admission in
                try await render(for: admission.account)
            }
            return Self.html(html)
        } catch let error as AccessError {
            if let session { sessions.close(session: session) }
            return Self.html(DashboardPage.login(message: "\(error)"), status: .unauthorized, clearCookie: session != nil, secure: secureCookies)
        }
    }

    func login(_ request: Request, _ context: ServiceRequestContext) async throws -> Response {
        try await refuseCrossSite(request, context, "login")
        if let authorization = request.headers[.authorization] {
            // A script asking for a one-time browser link.
            _ = try await calls.call(gateRequest(request, context, "login", authorization), status: "200") { _ in () }
            let code = sessions.issueCode(authorization: authorization)
            let body = try JSONSerialization.data(
                withJSONObject: ["url": "/dashboard/session?code=\(code)", "expiresIn": Int(DashboardSessions.codeLifetime)], options: [.sortedKeys])
            return RESTRoutes.json(Array(body))
        }
        let reservation = BodyReservation(calls.core.bodyBudget)
        defer { reservation.release() }
        let form = try await RESTRoutes.body(of: request, allowance: BodyAllowance(maxBytes: 16 << 10), reservation: reservation)
        guard let token = Self.formValue("token", in: form), !token.isEmpty else {
            return Self.html(DashboardPage.login(message: "Enter a token."), status: .badRequest)
        }
        let authorization = "Bearer \(token)"
        return try await openSession(request, context, authorization: authorization)
    }

    func redeem(_ request: Request, _ context: ServiceRequestContext) async throws -> Response {
        try await refuseCrossSite(request, context, "login")
        guard let code = request.uri.queryParameters.get("code"), let authorization = sessions.redeem(code: code) else {
            return Self.html(DashboardPage.login(message: "That sign-in link is unknown, used or expired."), status: .unauthorized)
        }
        return try await openSession(request, context, authorization: authorization)
    }

    func logout(_ request: Request, _ context: ServiceRequestContext) async throws -> Response {
        try await refuseCrossSite(request, context, "logout")
        if let session = Self.cookie(request), let authorization = sessions.authorization(session: session) {
            sessions.close(session: session)
            _ = try? await calls.call(gateRequest(request, context, "logout", authorization), status: "303") { _ in () }
        }
        var response = Response(status: .seeOther, headers: [.location: "/dashboard", .contentLength: "0"])
        response.headers[.setCookie] = Self.setCookie("", maxAge: 0, secure: secureCookies)
        Self.applySecurityHeaders(&response.headers)
        return response
    }

    // MARK: - Helpers

    private func render(for account: Account) async throws -> String {
        let queued = try await tasks.tasks(matching: TaskFilter(status: .queued, limit: 10_000)).count
        let running = try await tasks.tasks(matching: TaskFilter(status: .running, limit: 10_000)).count
        let recent = try await tasks.tasks(matching: TaskFilter(limit: 10))
        let records = account.role >= .admin ? try await audit.records(matching: AuditFilter(limit: 15)) : nil
        let model = DashboardModel(
            activity: telemetry.activity, now: Date(), account: account.name, role: account.role, queued: queued, running: running,
            recentTasks: recent, audit: records)
        return DashboardPage.render(model)
    }

    private func gateRequest(_ request: Request, _ context: ServiceRequestContext, _ step: String, _ authorization: String) -> GateRequest {
        GateRequest(requestID: context.requestID, transport: .rest, authorization: authorization, action: .dashboard(step), source: context.peer)
    }

    /// Checks `authorization` through the gate (audited as `dashboard.login`), then opens a session: 303 to the page
    /// with the cookie; the sign-in form again, 401, when the gate refuses.
    private func openSession(_ request: Request, _ context: ServiceRequestContext, authorization: String) async throws -> Response {
        do {
            _ = try await calls.call(gateRequest(request, context, "login", authorization), status: "303") { _ in () }
        } catch let error as AccessError {
            return Self.html(DashboardPage.login(message: "\(error)"), status: .unauthorized)
        }
        let session = sessions.open(authorization: authorization)
        var response = Response(status: .seeOther, headers: [.location: "/dashboard", .contentLength: "0"])
        response.headers[.setCookie] = Self.setCookie(session, maxAge: Int(DashboardSessions.lifetime), secure: secureCookies)
        Self.applySecurityHeaders(&response.headers)
        return response
    }

    /// A request another site made the browser send: `Origin` naming another origin than this `Host`, or
    /// `Sec-Fetch-Site` other than `same-origin` / `none` (typed or pasted).
    /// Refused requests are audited (no account: the request is not authenticated first).
    func refuseCrossSite(_ request: Request, _ context: ServiceRequestContext, _ step: String) async throws {
        var refusal: ServiceLimitError?
        if let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!], site != "same-origin", site != "none" {
            refusal = .crossSite("Sec-Fetch-Site: \(site)")
        } else if let origin = request.headers[.origin] {
            let host = request.head.authority ?? ""
            if origin != "http://\(host)" && origin != "https://\(host)" { refusal = .crossSite("Origin: \(origin)") }
        }
        guard let refusal else { return }
        try await calls.refuse(
            GateRequest(requestID: context.requestID, transport: .rest, authorization: nil, action: .dashboard(step), source: context.peer), refusal)
    }

    static func cookie(_ request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0] == cookieName, !parts[1].isEmpty { return String(parts[1]) }
            }
        }
        return nil
    }

    static func setCookie(_ value: String, maxAge: Int, secure: Bool) -> String {
        "\(cookieName)=\(value); Path=/dashboard; Max-Age=\(maxAge); HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "")
    }

    /// The value of `name` in an `application/x-www-form-urlencoded` body.
    static func formValue(_ name: String, in body: [UInt8]) -> String? {
        for pair in String(decoding: body, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, parts[0] == name else { continue }
            return String(parts[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
        }
        return nil
    }

    static func html(_ text: String, status: HTTPResponse.Status = .ok, clearCookie: Bool = false, secure: Bool = false) -> Response {
        let bytes = Array(text.utf8)
        var response = Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8", .contentLength: String(bytes.count)],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
        if clearCookie { response.headers[.setCookie] = setCookie("", maxAge: 0, secure: secure) }
        Self.applySecurityHeaders(&response.headers)
        return response
    }

    /// No caching, no framing, no sniffing, no referrer, and a policy that allows the inline stylesheet only.
    static func applySecurityHeaders(_ headers: inout HTTPFields) {
        headers[.contentSecurityPolicy] = DashboardPage.contentSecurityPolicy
        headers[.cacheControl] = "no-store"
        headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
    }
}
