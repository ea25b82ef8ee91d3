/// The version of this build of Hephaestus.
public enum HephaestusVersion {
    public static let current = "0.1.0"
}
