import Foundation
import HephaestusPlatform
import Hummingbird
import NIOCore

/// Hummingbird's request context with what the service adds: the request's id (audit records, logs and the
/// `X-Request-ID` response header share it) and the peer's address.
public struct ServiceRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let requestID: String
    public let peer: String?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        requestID = UUID.randomLowercased()
        peer = source.channel.remoteAddress.flatMap { address in
            address.ipAddress.map { "\($0):\(address.port ?? 0)" }
        }
    }
}
