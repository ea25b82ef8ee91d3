import HephaestusPlatform
import Testing

@testable import HephaestusTUF

/// Which delegated role is trusted for which target path (TUF 1.0 §2.6: `paths` as shell-style patterns, `*` never
/// crossing a `/`; `path_hash_prefixes` over the SHA-256 of the path).
@Suite struct TUFDelegationPathTests {
    func role(paths: [String]? = nil, prefixes: [String]? = nil) -> TUFDelegatedRole {
        TUFDelegatedRole(
            name: "r", roleKeys: TUFRoleKeys(keyIDs: [], threshold: 1), terminating: false, paths: paths, pathHashPrefixes: prefixes)
    }

    @Test(arguments: [
        ("delegated/*", "delegated/a.txt", true),
        ("delegated/*", "delegated/sub/a.txt", false),
        ("*", "a/b", false),
        ("*.txt", "notes.txt", true),
        ("*.txt", "notes.txt.sig", false),
        ("file-?.tgz", "file-1.tgz", true),
        ("file-[0-9].tgz", "file-a.tgz", false),
        ("file-[!0-9].tgz", "file-a.tgz", true),
        ("a/*/c", "a/b/c", true),
        ("", "a", false),
    ])
    func pathPatterns(pattern: String, target: String, delegated: Bool) {
        #expect(role(paths: [pattern]).isDelegated(target) == delegated)
    }

    @Test func hashPrefixes() {
        let hash = DigestAlgorithm.sha256.hash(Array("targets/file.txt".utf8)).hex
        #expect(role(prefixes: [String(hash.prefix(2))]).isDelegated("targets/file.txt"))
        #expect(!role(prefixes: [hash.hasPrefix("00") ? "01" : "00"]).isDelegated("targets/file.txt"))
    }
}
