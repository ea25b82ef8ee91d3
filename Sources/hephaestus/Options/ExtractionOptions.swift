import ArgumentParser
import HephaestusCore
import HephaestusPlatform

/// Archive-bomb limits (documented defaults; raise them when a wheelhouse legitimately needs more).
struct ExtractionOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Maximum uncompressed bytes in all (default 4 GiB).", valueName: "N"))
    var maxTotalBytes: Int64?

    @Option(help: ArgumentHelp("Maximum number of entries (default 10000).", valueName: "N"))
    var maxEntries: Int?

    @Option(help: ArgumentHelp("Maximum uncompressed bytes of one entry (default 1 GiB).", valueName: "N"))
    var maxEntryBytes: Int64?

    @Option(help: ArgumentHelp("Maximum compression ratio, checked once 16 MiB are extracted (default 200).", valueName: "N"))
    var maxRatio: Double?

    /// The limits given, the documented defaults for the others (the help states each default once, in its words).
    var choice: ExtractionChoice {
        let defaults = ExtractionChoice()
        return ExtractionChoice(
            maxTotalBytes: maxTotalBytes ?? defaults.maxTotalBytes, maxEntries: maxEntries ?? defaults.maxEntries,
            maxEntryBytes: maxEntryBytes ?? defaults.maxEntryBytes, maxRatio: maxRatio ?? defaults.maxRatio)
    }

    func validate() throws {
        do { try choice.validate() } catch { throw ValidationError(error.message) }
    }
}
