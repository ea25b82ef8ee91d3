import HephaestusServer

await ServeCommand.main()
