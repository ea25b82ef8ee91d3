import Foundation

/// Runs `consume` on a worker thread for each submitted block, in submission order, with a bounded queue (so memory
/// stays constant): how downloads hash while they receive, and extraction checks the gzip CRC while it extracts.
final class OrderedWorker: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [[UInt8]] = []
    private var busy = false
    private var stopped = false
    private let depth: Int
    private let consume: ([UInt8]) -> Void

    init(depth: Int, name: String, consume: @escaping ([UInt8]) -> Void) {
        self.depth = depth
        self.consume = consume
        // The thread holds the worker until close(), which every owner calls.
        let thread = Thread { self.run() }
        thread.name = name
        thread.start()
    }

    /// Queues a block, waiting while the queue is full.
    func submit(_ block: [UInt8]) {
        condition.lock()
        defer { condition.unlock() }
        while queue.count >= depth && !stopped { condition.wait() }
        guard !stopped else { return }
        queue.append(block)
        condition.broadcast()
    }

    /// Waits until every queued block has been consumed.
    func drain() {
        condition.lock()
        defer { condition.unlock() }
        while !queue.isEmpty || busy { condition.wait() }
    }

    /// Stops the worker, dropping queued blocks (idempotent).
    func close() {
        condition.lock()
        stopped = true
        queue.removeAll()
        condition.broadcast()
        while busy { condition.wait() }
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while queue.isEmpty && !stopped { condition.wait() }
            if stopped {
                condition.unlock()
                return
            }
            let block = queue.removeFirst()
            busy = true
            condition.broadcast()
            condition.unlock()
            consume(block)
            condition.lock()
            busy = false
            condition.broadcast()
            condition.unlock()
        }
    }
}
