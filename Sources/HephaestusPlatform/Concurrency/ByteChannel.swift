import Foundation

/// Hands a byte stream from an `async` producer (a request body as it arrives) to a blocking consumer (a parser on a
/// ``BlockingWork`` thread), holding at most `capacity` bytes plus the chunk being added: the producer waits while the
/// consumer is behind, so memory stays bounded whatever the stream's length, and the consumer never needs the whole
/// stream.
///
/// The producer ends the stream with ``finish(throwing:)`` (an error reaches the consumer's next read, so a stream
/// cut short is never taken for a complete one); the consumer gives up with ``close()`` (the producer's next send
/// throws ``Closed``). Safe to share: all state is guarded by one condition lock.
public final class ByteChannel: @unchecked Sendable {
    /// A send after the consumer stopped reading.
    public struct Closed: Error, CustomStringConvertible {
        public var description: String { "the reader of the stream stopped reading" }
    }

    /// The bytes held before a send waits.
    public let capacity: Int

    private let condition = NSCondition()
    // Guarded by `condition`.
    private var chunks: [[UInt8]] = []
    /// Bytes of `chunks[0]` already read.
    private var offset = 0
    private var buffered = 0
    private var ended = false
    private var failure: (any Error)?
    private var closed = false
    private var spaceWaiter: CheckedContinuation<Void, Never>?

    public init(capacity: Int = 1 << 20) {
        self.capacity = max(capacity, 1)
    }

    // MARK: - Producer

    /// Adds `bytes` to the stream, first waiting (without blocking a thread) while `capacity` bytes are held. Throws
    /// ``Closed`` once the consumer has stopped reading.
    public func send(_ bytes: [UInt8]) async throws {
        guard !bytes.isEmpty else { return }
        while true {
            switch append(bytes) {
            case .appended: return
            case .closed: throw Closed()
            case .full:
                await withCheckedContinuation { continuation in
                    if !park(continuation) { continuation.resume() }
                }
            }
        }
    }

    /// Ends the stream: the consumer reads what is held, then the end (0), or `error` instead of what is held.
    public func finish(throwing error: (any Error)? = nil) {
        condition.lock()
        ended = true
        if failure == nil { failure = error }
        condition.broadcast()
        condition.unlock()
    }

    private enum Appending { case appended, full, closed }

    private func append(_ bytes: [UInt8]) -> Appending {
        condition.lock()
        defer { condition.unlock() }
        if closed || ended { return .closed }
        guard buffered < capacity else { return .full }
        chunks.append(bytes)
        buffered += bytes.count
        condition.signal()
        return .appended
    }

    /// Keeps `continuation` to be resumed when there is room; false when there is room already (or nobody reads).
    private func park(_ continuation: CheckedContinuation<Void, Never>) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !closed, buffered >= capacity else { return false }
        spaceWaiter = continuation
        return true
    }

    // MARK: - Consumer

    /// Copies the next bytes of the stream into `buffer`, blocking until some arrive; 0 at the end; throws the error
    /// the producer finished with.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard buffer.count > 0 else { return 0 }
        condition.lock()
        while buffered == 0 && !ended && !closed { condition.wait() }
        if let error = failure ?? (closed ? Closed() : nil) {
            condition.unlock()
            throw error
        }
        var copied = 0
        while copied < buffer.count, let first = chunks.first {
            let count = min(first.count - offset, buffer.count - copied)
            first.withUnsafeBytes { bytes in
                UnsafeMutableRawBufferPointer(rebasing: buffer[copied..<copied + count]).copyMemory(
                    from: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count]))
            }
            copied += count
            offset += count
            if offset == first.count {
                chunks.removeFirst()
                offset = 0
            }
        }
        buffered -= copied
        let waiter = buffered < capacity ? spaceWaiter.take() : nil
        condition.unlock()
        waiter?.resume()
        return copied
    }

    /// Stops reading: what is held is dropped and the producer's next send throws ``Closed``.
    public func close() {
        condition.lock()
        closed = true
        chunks = []
        buffered = 0
        let waiter = spaceWaiter.take()
        condition.unlock()
        waiter?.resume()
    }
}
