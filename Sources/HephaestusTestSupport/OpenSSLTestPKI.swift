import Foundation
import HephaestusPlatform

/// A small PKI made with the `openssl` command line (independent of the code under test): a self-signed P-384 root,
/// a P-384 intermediate, and a P-256 leaf carrying SANs of every common type and Fulcio-style custom extensions.
/// Every certificate is valid from generation time for one day.
public struct OpenSSLTestPKI {
    public let tool: OpenSSLTool
    public let rootPEM: String
    public let intermediatePEM: String
    public let leafPEM: String
    /// A second root with the same subject as `rootPEM` but a different key (a rogue look-alike).
    public let rogueRootPEM: String
    public let leafKeyFile: String

    /// The Fulcio OIDC issuer extension value used in the leaf (1.3.6.1.4.1.57264.1.8, a DER UTF8String).
    public static let issuerExtensionValue = "https://token.actions.githubusercontent.com"

    public init(directory: TemporaryDirectory) throws {
        let tool = OpenSSLTool(directory: directory)
        self.tool = tool
        try tool.generateKey("ec:P-384", name: "root")
        try tool.generateKey("ec:P-384", name: "rogue")
        try tool.generateKey("ec:P-384", name: "intermediate")
        leafKeyFile = try tool.generateKey("ec:P-256", name: "leaf")
        try directory.write(
            "ca.ext",
            """
            basicConstraints=critical,CA:TRUE
            keyUsage=critical,keyCertSign,cRLSign
            subjectKeyIdentifier=hash
            authorityKeyIdentifier=keyid:always

            """)
        try directory.write(
            "leaf.ext",
            """
            basicConstraints=critical,CA:FALSE
            keyUsage=critical,digitalSignature
            extendedKeyUsage=codeSigning
            subjectAltName=@alt
            1.3.6.1.4.1.57264.1.1=DER:\(Hex.encode(Array(Self.issuerExtensionValue.utf8)))
            1.3.6.1.4.1.57264.1.8=ASN1:UTF8String:\(Self.issuerExtensionValue)

            [alt]
            email.1=signer@example.com
            URI.1=https://github.com/octo/repo/.github/workflows/release.yml@refs/tags/v1.2.0
            DNS.1=signer.example.com
            IP.1=192.0.2.7
            otherName.1=1.3.6.1.4.1.57264.1.7;UTF8:octo@example.com
            RID.1=1.2.3.4

            """)
        try directory.write(
            "root.cnf",
            "[req]\ndistinguished_name=dn\n[dn]\n[v3]\nbasicConstraints=critical,CA:TRUE\n"
                + "keyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n")
        for name in ["root", "rogue"] {
            try tool.run([
                "req", "-x509", "-new", "-key", "\(name).key", "-subj", "/O=hephaestus.test/CN=Test Root",
                "-days", "1", "-sha384", "-config", "root.cnf", "-extensions", "v3", "-out", "\(name).pem",
            ])
        }
        try tool.run(["req", "-new", "-key", "intermediate.key", "-subj", "/O=hephaestus.test/CN=Test Intermediate", "-out", "intermediate.csr"])
        try tool.run([
            "x509", "-req", "-in", "intermediate.csr", "-CA", "root.pem", "-CAkey", "root.key", "-set_serial", "4096",
            "-days", "1", "-sha384", "-extfile", "ca.ext", "-out", "intermediate.pem",
        ])
        try tool.run(["req", "-new", "-key", "leaf.key", "-subj", "/O=hephaestus.test", "-out", "leaf.csr"])
        try tool.run([
            "x509", "-req", "-in", "leaf.csr", "-CA", "intermediate.pem", "-CAkey", "intermediate.key",
            "-set_serial", "0x1f2e3d4c5b6a", "-days", "1", "-sha384", "-extfile", "leaf.ext", "-out", "leaf.pem",
        ])
        rootPEM = String(decoding: try tool.read("root.pem"), as: UTF8.self)
        rogueRootPEM = String(decoding: try tool.read("rogue.pem"), as: UTF8.self)
        intermediatePEM = String(decoding: try tool.read("intermediate.pem"), as: UTF8.self)
        leafPEM = String(decoding: try tool.read("leaf.pem"), as: UTF8.self)
    }
}
