import ArgumentParser
import Foundation
import HephaestusInventory

/// Where the attestation inventory lives.
struct InventoryOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The inventory database (default $XDG_DATA_HOME/hephaestus/inventory.sqlite).", valueName: "PATH"))
    var inventory: String?

    /// The inventory the operation opens, as messages name it.
    var path: String { inventory ?? InventoryStore.defaultPath(environment: ProcessInfo.processInfo.environment) }
}
