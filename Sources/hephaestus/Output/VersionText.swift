import HephaestusCore

/// What `hephaestus --version` prints: the version, the git commit the binary was built from (``BuildInfo``, made by
/// the BuildInfo plugin) and when the embedded Sigstore trust material was taken, and from where.
enum VersionText {
    static let description = """
        hephaestus \(HephaestusVersion.current)
        commit: \(BuildInfo.commit)
        embedded trust material: taken \(HephaestusTrust.retrievedAt) from \(HephaestusTrust.origin)
        """
}
