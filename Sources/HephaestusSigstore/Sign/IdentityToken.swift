import Foundation
import HephaestusPlatform

/// An OIDC identity token (JWT) as Fulcio consumes it, decoded without verifying its signature — that is the
/// certificate authority's job — so that its identity and lifetime can be checked before anything is requested.
public struct IdentityToken: Sendable {
    /// The compact JWT, exactly as given (never logged).
    public let rawValue: String
    public let issuer: String
    public let subject: String
    public let email: String?
    public let emailVerified: Bool?
    public let audiences: [String]
    public let expiry: Date
    public let notBefore: Date?
    /// GitHub Actions: `OWNER/REPO/.github/workflows/FILE@REF`, the identity Fulcio puts in the SAN.
    public let jobWorkflowRef: String?
    /// Every string-valued claim (for the CI extensions Fulcio derives from them).
    public let stringClaims: [String: String]

    /// Issuers whose tokens name an e-mail address (Fulcio issues an e-mail SAN for them).
    public static let emailIssuers: Set<String> = [
        "https://accounts.google.com", "https://oauth2.sigstore.dev/auth", "https://oauth2.sigstage.dev/auth",
        "https://github.com/login/oauth", "https://login.microsoftonline.com",
    ]
    public static let githubActionsIssuer = "https://token.actions.githubusercontent.com"

    public init(_ text: String) throws(SigningError) {
        let compact = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let parts = compact.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw .malformedIdentityToken("expected three dot-separated Base64url parts (header.payload.signature)")
        }
        guard let payloadBytes = Base64.decode(parts[1], alphabet: .urlSafe),
            let payload = try? JSONSerialization.jsonObject(with: Data(payloadBytes)) as? [String: Any]
        else {
            throw .malformedIdentityToken("the payload is not Base64url-encoded JSON")
        }
        guard let issuer = payload["iss"] as? String, !issuer.isEmpty else { throw .malformedIdentityToken("no \"iss\" claim") }
        guard let subject = payload["sub"] as? String, !subject.isEmpty else { throw .malformedIdentityToken("no \"sub\" claim") }
        guard let expiry = (payload["exp"] as? NSNumber)?.doubleValue else { throw .malformedIdentityToken("no numeric \"exp\" claim") }
        rawValue = compact
        self.issuer = issuer
        self.subject = subject
        email = payload["email"] as? String
        emailVerified = (payload["email_verified"] as? NSNumber)?.boolValue
        switch payload["aud"] {
        case let single as String: audiences = [single]
        case let many as [String]: audiences = many
        default: audiences = []
        }
        self.expiry = Date(timeIntervalSince1970: expiry)
        notBefore = (payload["nbf"] as? NSNumber).map { Date(timeIntervalSince1970: $0.doubleValue) }
        jobWorkflowRef = payload["job_workflow_ref"] as? String
        stringClaims = payload.compactMapValues { $0 as? String }
    }

    /// True when Fulcio will certify the token's e-mail address rather than its subject: for the known e-mail
    /// issuers, and for any other issuer that vouches for the address (`email_verified: true`).
    public var namesEmail: Bool {
        guard issuer != Self.githubActionsIssuer, email != nil else { return false }
        return Self.emailIssuers.contains(issuer) || emailVerified == true || subject == email
    }

    /// The value Fulcio's proof of possession signs: the e-mail for e-mail identities, else the subject.
    public var proofSubject: String { namesEmail ? email! : subject }

    /// The SAN value the certificate must carry for this token.
    public var certificateIdentity: String {
        if issuer == Self.githubActionsIssuer, let jobWorkflowRef { return "https://github.com/\(jobWorkflowRef)" }
        return proofSubject
    }

    /// Refuses an expired, not-yet-valid or unverified-e-mail token before any service sees it.
    public func checkUsable(at now: Date, leeway: TimeInterval = 30) throws(SigningError) {
        if now.timeIntervalSince(expiry) > -leeway {
            throw .identityTokenNotUsable(
                "expired at \(RFC3339.string(expiry)) (now \(RFC3339.string(now))); request a fresh token")
        }
        if let notBefore, notBefore.timeIntervalSince(now) > leeway {
            throw .identityTokenNotUsable("not valid before \(RFC3339.string(notBefore)) (now \(RFC3339.string(now)))")
        }
        if namesEmail, emailVerified == false {
            throw .identityTokenNotUsable("the e-mail address \(email!) is not verified by \(issuer)")
        }
    }
}
