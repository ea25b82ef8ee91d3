import HephaestusCore
import HephaestusInventory
import HephaestusLocalSigstore

/// Every user-facing operation of Hephaestus, in one list: the CLI, the service, the MCP server and the schema export
/// are built from it.
public enum OperationRegistry {}
