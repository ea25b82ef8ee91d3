import NIOCore

/// Caps what one read of an HTTP/1 connection takes at ``maximumReadBytes`` (NIO's default grows to 64 KiB). A request
/// refused before its body was read (503 `service.busy`, 413) has the rest of its body read and dropped so the
/// connection can be kept, and each connection buffers up to ten reads meanwhile: fifteen clients refused while
/// uploading 32 MiB bodies held about 10 MiB between them. Requests of a usual size still arrive in one or two reads.
final class ReadSizeLimit: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny

    static let maximumReadBytes = 16 << 10

    func handlerAdded(context: ChannelHandlerContext) {
        // A channel without the option (an embedded one, in tests) keeps its own reads.
        try? context.channel.syncOptions?.setOption(
            ChannelOptions.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 2048, maximum: Self.maximumReadBytes))
    }
}
