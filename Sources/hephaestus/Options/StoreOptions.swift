import ArgumentParser

/// Where the service store (accounts, audit log, tasks) lives.
struct StoreOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "The service store: sqlite:PATH (default sqlite:$XDG_DATA_HOME/hephaestus/service.sqlite); postgres://… is not supported yet.",
            valueName: "URL"))
    var store: String?
}
