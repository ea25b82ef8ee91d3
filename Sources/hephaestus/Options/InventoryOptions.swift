import ArgumentParser
import HephaestusInventory

/// Where the attestation inventory lives.
struct InventoryOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The inventory database (default $XDG_DATA_HOME/hephaestus/inventory.sqlite).", valueName: "PATH"))
    var inventory: String?

    var path: String { inventory ?? InventoryStore.defaultPath }

    /// Opens it for writing (created and migrated on first use).
    func open() throws -> InventoryStore { try InventoryStore(path: path) }

    /// Opens an existing inventory for reading.
    func openExisting() throws -> InventoryStore { try InventoryStore(path: path, readOnly: true) }
}
