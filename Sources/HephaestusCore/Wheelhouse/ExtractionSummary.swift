/// The `--json` payload of `wheelhouse extract`.
public struct ExtractionSummary: OperationReport, Equatable {
    public let archive: String
    public let destination: String
    public let files: [String]
    public let bytes: Int64
    public let directories: Int
    public let links: Int

    public init(archive: String, destination: String, files: [String], bytes: Int64, directories: Int, links: Int) {
        self.archive = archive
        self.destination = destination
        self.files = files
        self.bytes = bytes
        self.directories = directories
        self.links = links
    }
}
