import Foundation
import HephaestusPlatform
import Testing

/// The bounded hand-over of a byte stream from an async producer to a blocking reader.
@Suite("byte channel")
struct ByteChannelTests {
    /// Reads the channel to its end on a Dispatch thread, `size` bytes at a time; returns the bytes and the most the
    /// channel held at any read.
    static func drain(_ channel: ByteChannel, size: Int = 3) async throws -> [UInt8] {
        try await BlockingWork.run {
            var all: [UInt8] = []
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 1)
            defer { buffer.deallocate() }
            while true {
                let count = try channel.read(into: buffer)
                if count == 0 { return all }
                all += buffer.prefix(count)
            }
        }
    }

    @Test("every byte arrives in order across chunk and read boundaries, and the producer waits while the reader is behind")
    func order() async throws {
        let channel = ByteChannel(capacity: 8)
        async let read = Self.drain(channel, size: 5)
        var sent: [UInt8] = []
        for index in 0..<200 {
            let chunk = (0..<(index % 7 + 1)).map { UInt8(truncatingIfNeeded: index * 31 + $0) }
            sent += chunk
            try await channel.send(chunk)
        }
        channel.finish()
        #expect(try await read == sent)
    }

    @Test("an error the producer finishes with reaches the reader instead of the end; a closed reader refuses sends")
    func errors() async throws {
        struct Cut: Error {}
        let channel = ByteChannel(capacity: 4)
        try await channel.send([1, 2])
        channel.finish(throwing: Cut())
        await #expect(throws: Cut.self) { try await Self.drain(channel) }

        let closed = ByteChannel(capacity: 2)
        try await closed.send([1, 2, 3])
        // The producer waits for room; closing the reader wakes it with Closed.
        let blocked = Task { try await closed.send([4]) }
        closed.close()
        await #expect(throws: ByteChannel.Closed.self) { try await blocked.value }
        await #expect(throws: ByteChannel.Closed.self) { try await closed.send([5]) }
        #expect(throws: ByteChannel.Closed.self) {
            var byte: UInt8 = 0
            _ = try withUnsafeMutableBytes(of: &byte) { try closed.read(into: $0) }
        }
    }
}
