import HephaestusCore
import Testing

@testable import HephaestusServer

/// `hephaestus serve`'s options and configuration file: addresses, the loopback rule, limits.
@Suite("serve: settings")
struct ServeSettingsTests {
    @Test("HOST:PORT parses for names, IPv4 and bracketed IPv6; loopback is localhost, 127/8 and ::1")
    func addresses() throws {
        let local = try ListenAddress(parsing: "127.0.0.1:8080", option: "--listen")
        #expect(local.host == "127.0.0.1" && local.port == 8080 && local.isLoopback)
        #expect(try ListenAddress(parsing: "[::1]:0", option: "--listen").isLoopback)
        #expect(try ListenAddress(parsing: "localhost:9", option: "--listen").isLoopback)
        #expect(try ListenAddress(parsing: "127.9.8.7:1", option: "--listen").isLoopback)
        #expect(try !ListenAddress(parsing: "0.0.0.0:8080", option: "--listen").isLoopback)
        #expect(try !ListenAddress(parsing: "127.example.com:80", option: "--listen").isLoopback)
        #expect(try ListenAddress(parsing: "[::]:80", option: "--listen").description == "[::]:80")
        for bad in ["8080", ":80", "host:", "host:65536", "host:x", "[::1]80"] {
            #expect(throws: RequestError.self, "\(bad)") { try ListenAddress(parsing: bad, option: "--listen") }
        }
    }

    @Test("listening beyond loopback without TLS is refused unless --insecure-listen")
    func loopbackRule() throws {
        let refused = try ServeCommand.parse(["--listen", "0.0.0.0:8080"])
        #expect(throws: RequestError.self) { try refused.settings(environment: [:]) }
        let grpcRefused = try ServeCommand.parse(["--grpc-listen", "10.0.0.1:9090"])
        let error = #expect(throws: RequestError.self) { try grpcRefused.settings(environment: [:]) }
        #expect(error?.message.contains("--grpc-listen 10.0.0.1:9090 is not loopback") == true)
        let allowed = try ServeCommand.parse(["--listen", "0.0.0.0:8080", "--insecure-listen"]).settings(environment: [:])
        #expect(allowed.insecureListen && allowed.rest.port == 8080)
        let off = try ServeCommand.parse(["--grpc-listen", "off"]).settings(environment: [:])
        #expect(off.grpc == nil)
        #expect(throws: RequestError.self) { try ServeCommand.parse(["--tls-key", "k.pem"]).settings(environment: [:]) }
        #expect(throws: RequestError.self) { try ServeCommand.parse(["--staging", "--trusted-root", "r.json"]).settings(environment: [:]) }
        #expect(throws: RequestError.self) { try ServeCommand.parse(["--extra-trusted-root", "nofile"]).settings(environment: [:]) }
    }

    @Test("the configuration file sets limits and rate limits; anything it cannot read is refused with its line")
    func configurationFile() throws {
        let file = try ConfigurationFile(
            text: """
                # limits
                [limits]
                max_body_bytes = 1_048_576  # 1 MiB
                header_timeout_seconds = 5
                [rate_limits.role]
                operator = 10
                verifier = 600
                [rate_limits.account]
                ci-bot = 0
                [tls]
                certificate = "/etc/h/cert.pem"
                """, name: "service.toml")
        let limits = try ServiceLimits(file: file)
        #expect(limits.maxBodyBytes == 1 << 20 && limits.headerTimeoutSeconds == 5 && limits.requestTimeoutSeconds == 60)
        #expect(limits.callsPerMinute(account: "alice", requiredRole: "operator") == 10)
        #expect(limits.callsPerMinute(account: "alice", requiredRole: "verifier") == 600)
        #expect(limits.callsPerMinute(account: "alice", requiredRole: "viewer") == nil)
        #expect(limits.callsPerMinute(account: "ci-bot", requiredRole: "operator") == nil)
        #expect(try file.string("tls.certificate") == "/etc/h/cert.pem")
        #expect(ServiceLimits().callsPerMinute(account: "a", requiredRole: "operator") == 60)
        #expect(ServiceLimits().callsPerMinute(account: "a", requiredRole: "verifier") == nil)
        for (text, line) in [("[limits]\nmax_body_bytes = [1]", 2), ("a = 1\na = 2", 2), ("[[x]]", 1), ("k = \"open", 1), ("= 3", 1)] {
            let error = #expect(throws: RequestError.self) { try ConfigurationFile(text: text, name: "c.toml") }
            #expect(error?.message.hasPrefix("c.toml:\(line):") == true, "\(text): \(error?.message ?? "")")
        }
        let negative = try ConfigurationFile(text: "[limits]\nmax_body_bytes = -1", name: "c.toml")
        #expect(throws: RequestError.self) { try ServiceLimits(file: negative) }
    }
}
