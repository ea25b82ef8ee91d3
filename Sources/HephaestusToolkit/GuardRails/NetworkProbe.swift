import Foundation
import Glibc

/// Whether the network is reachable, by a TCP connection to `host:port` (the configured `network_probe`, by default
/// PyPI's HTTPS port): name resolution and a connection within the timeout. Network steps are skipped, never passed,
/// when it is not.
public enum NetworkProbe {
    /// nil when reachable, else why not (one line).
    public static func unreachableReason(_ target: String, timeout: Double = 3) -> String? {
        guard let colon = target.lastIndex(of: ":"), let port = UInt16(target[target.index(after: colon)...]) else {
            return "network_probe \"\(target)\" is not HOST:PORT"
        }
        let host = String(target[..<colon])
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(host, String(port), &hints, &list)
        guard resolved == 0, let first = list else { return "cannot resolve \(host): \(String(cString: gai_strerror(resolved)))" }
        defer { freeaddrinfo(list) }
        var reason = "no address of \(host)"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let address = entry {
            defer { entry = address.pointee.ai_next }
            let socket = Glibc.socket(address.pointee.ai_family, address.pointee.ai_socktype | Int32(SOCK_NONBLOCK.rawValue), 0)
            guard socket >= 0 else { continue }
            defer { close(socket) }
            if connect(socket, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0 { return nil }
            guard errno == EINPROGRESS else {
                reason = "cannot connect to \(target): \(String(cString: strerror(errno)))"
                continue
            }
            var poll = pollfd(fd: socket, events: Int16(POLLOUT), revents: 0)
            guard Glibc.poll(&poll, 1, Int32(timeout * 1000)) == 1 else {
                reason = "no connection to \(target) within \(Int(timeout)) s"
                continue
            }
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(socket, SOL_SOCKET, SO_ERROR, &error, &length)
            if error == 0 { return nil }
            reason = "cannot connect to \(target): \(String(cString: strerror(error)))"
        }
        return reason
    }
}
