import HephaestusPlatform

/// A request that cannot be run as given: missing, conflicting or malformed fields. The CLI reports it as a usage
/// error (its field names are the CLI's flags), a service as a bad request.
public struct RequestError: CodedError, Equatable {
    public let message: String

    public init(_ message: String) {
        self.message = message
    }

    public var errorCode: GeneralError.Code { .invalidArgument }
    public var description: String { message }
}

extension RequestError {
    /// Refuses files that share a file name (`dist/a.whl` twice, or `a.whl` of two directories): an index or a release
    /// holds one file per name, so the second would fail or replace the first. `argument` names them (`DIST`).
    public static func requireDistinctNames(_ paths: [String], argument: String) throws(RequestError) {
        var seen: [Substring: String] = [:]
        for path in paths {
            let name = path.split(separator: "/").last ?? Substring(path)
            if let first = seen[name] {
                throw RequestError(first == path ? "\(argument) \(path) is given twice" : "\(argument) \(first) and \(path) have the same file name")
            }
            seen[name] = path
        }
    }

    /// A numeric option must lie in `range`; the error names the option, the range and the value given
    /// (`--jobs must be between 1 and 256, not 0`).
    public static func checkRange<Value: Comparable>(
        _ value: Value, _ range: ClosedRange<Value>, option: String, unit: String = ""
    ) throws(RequestError) {
        guard !range.contains(value) else { return }
        let suffix = unit.isEmpty ? "" : " \(unit)"
        throw RequestError("\(option) must be between \(range.lowerBound) and \(range.upperBound)\(suffix), not \(value)")
    }
}
