import HephaestusCore

/// Where a listener binds: `HOST:PORT` (`127.0.0.1:8080`, `[::1]:9090`, `localhost:0` for an ephemeral port).
public struct ListenAddress: Sendable, Equatable, CustomStringConvertible {
    public let host: String
    public let port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `HOST:PORT`; an IPv6 host is bracketed. `option` names the flag in the error.
    public init(parsing text: String, option: String) throws(RequestError) {
        let host: Substring
        let port: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw RequestError("\(option) \(text): expected [IPV6]:PORT")
            }
            host = text[text.index(after: text.startIndex)..<close]
            port = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw RequestError("\(option) \(text): expected HOST:PORT") }
            host = text[..<colon]
            port = text[text.index(after: colon)...]
        }
        guard !host.isEmpty else { throw RequestError("\(option) \(text): the host is empty") }
        guard let number = Int(port), (0...65535).contains(number) else {
            throw RequestError("\(option) \(text): the port must be a number from 0 to 65535")
        }
        self.host = String(host)
        self.port = number
    }

    /// Whether only this machine can connect: `localhost`, 127.0.0.0/8 or `::1`.
    public var isLoopback: Bool {
        if host == "localhost" || host == "::1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets.first == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
