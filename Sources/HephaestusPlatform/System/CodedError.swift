/// An error with a stable, machine-readable code.
///
/// Every error area of Hephaestus (files, crypto, verification, transport, …) defines one enum conforming to this
/// protocol. The `code` string is stable across releases: scripts and the exit-code table key on it, while
/// `description` is the one human line printed on failure.
public protocol CodedError: Error, CustomStringConvertible, Sendable {
    /// The stable identifier of the broken expectation, e.g. `file.not-found`.
    var code: String { get }
}
