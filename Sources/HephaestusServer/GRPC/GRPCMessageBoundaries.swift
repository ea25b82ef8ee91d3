import NIOCore

/// Where gRPC messages begin and end in one direction of a stream: each is a 5-byte prefix (a compression flag and a
/// big-endian 32-bit length) and that many bytes, split across HTTP/2 DATA frames however the sender chose.
struct GRPCMessageBoundaries {
    enum Event: Equatable {
        /// A message's prefix arrived: `length` bytes follow.
        case started(length: Int)
        /// The message's last byte arrived.
        case completed
    }

    private var prefix: [UInt8] = []
    /// Bytes of the current message still to come; nil between messages.
    private var remaining: Int?

    /// Whether a message has started and not completed.
    var isWithinMessage: Bool { remaining != nil || !prefix.isEmpty }

    /// Reads `bytes` (the next part of the direction's byte stream), calling `event` at each boundary, in order.
    mutating func consume(_ bytes: ByteBuffer, _ event: (Event) -> Void) {
        var bytes = bytes
        while bytes.readableBytes > 0 || remaining == 0 {
            if let left = remaining {
                let taken = min(left, bytes.readableBytes)
                bytes.moveReaderIndex(forwardBy: taken)
                remaining = left - taken
                if remaining == 0 {
                    remaining = nil
                    event(.completed)
                }
                continue
            }
            let needed = 5 - prefix.count
            let taken = min(needed, bytes.readableBytes)
            prefix += bytes.readBytes(length: taken) ?? []
            guard prefix.count == 5 else { continue }
            let length = prefix[1...4].reduce(0) { $0 << 8 | Int($1) }
            prefix.removeAll(keepingCapacity: true)
            event(.started(length: length))
            remaining = length
        }
    }
}
