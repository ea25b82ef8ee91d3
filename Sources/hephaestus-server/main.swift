import HephaestusServer

await ServeCommand.runAsRoot()
