import HephaestusSigstore

// What the local CA copies from a token into a leaf, as Fulcio does. Only a certificate authority needs it: the
// signer checks the leaf it gets back, it never derives these extensions itself.

extension IdentityToken {
    /// The Fulcio certificate extensions (OID → value) a GitHub Actions token's claims give, as Fulcio maps them
    /// (1.3.6.1.4.1.57264.1.9–.22); empty for other issuers.
    package var fulcioClaims: [String: String] {
        guard issuer == Self.githubActionsIssuer else { return [:] }
        let server = stringClaims["server_url"] ?? "https://github.com"
        var claims: [String: String] = [:]
        func put(_ suffix: Int, _ value: String?) {
            if let value, !value.isEmpty { claims["1.3.6.1.4.1.57264.1.\(suffix)"] = value }
        }
        let repository = stringClaims["repository"]
        put(9, jobWorkflowRef.map { "\(server)/\($0)" })
        put(10, stringClaims["job_workflow_sha"])
        put(11, stringClaims["runner_environment"])
        put(12, repository.map { "\(server)/\($0)" })
        put(13, stringClaims["sha"])
        put(14, stringClaims["ref"])
        put(15, stringClaims["repository_id"])
        put(16, stringClaims["repository_owner"].map { "\(server)/\($0)" })
        put(17, stringClaims["repository_owner_id"])
        put(18, stringClaims["workflow_ref"].map { "\(server)/\($0)" })
        put(19, stringClaims["workflow_sha"])
        put(20, stringClaims["event_name"])
        if let repository, let run = stringClaims["run_id"], let attempt = stringClaims["run_attempt"] {
            put(21, "\(server)/\(repository)/actions/runs/\(run)/attempts/\(attempt)")
        }
        put(22, stringClaims["repository_visibility"])
        return claims
    }
}
