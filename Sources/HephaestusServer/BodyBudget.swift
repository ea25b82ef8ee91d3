import HephaestusCore
import Synchronization

/// The bytes of request bodies the service holds at once, over every REST request and gRPC call (`[limits]
/// max_body_bytes_in_flight`). A request reserves its body's bytes before they arrive (its `Content-Length`, a gRPC
/// message's length prefix) or as they arrive (a chunked body), and gives them back when it has been answered, since
/// what its body was parsed into lives until then. A reservation the budget cannot cover is refused with
/// ``ServiceLimitError/busy(retryAfterSeconds:)`` (503 with `Retry-After` / `UNAVAILABLE`): the per-request limit
/// bounds one body, this bounds them all, so the service's memory does not grow with how many large bodies arrive at
/// once.
public final class BodyBudget: Sendable {
    /// The most bytes held at once.
    public let capacity: Int
    private let held = Atomic<Int>(0)
    private let waiters = Mutex<[@Sendable () -> Void]>([])

    public init(capacity: Int) {
        self.capacity = capacity
    }

    /// Bytes held now, by every open reservation.
    public var heldBytes: Int { held.load(ordering: .relaxed) }

    /// Takes `bytes` if the budget has them.
    func take(_ bytes: Int) -> Bool {
        var current = held.load(ordering: .relaxed)
        while true {
            guard bytes <= capacity - current else { return false }
            let (exchanged, actual) = held.compareExchange(
                expected: current, desired: current + bytes, successOrdering: .acquiringAndReleasing, failureOrdering: .relaxed)
            if exchanged {
                if bytes >= Self.trimmingThreshold { ServiceMemory.returnFreedMemory() }
                return true
            }
            current = actual
        }
    }

    func give(_ bytes: Int) {
        held.subtract(bytes, ordering: .acquiringAndReleasing)
        if bytes >= Self.trimmingThreshold { ServiceMemory.returnFreedMemory() }
        let woken = waiters.withLock { waiters in
            defer { waiters.removeAll() }
            return waiters
        }
        for waiter in woken { waiter() }
    }

    /// Taking or giving back at least this many bytes hands the memory malloc holds free back to the system
    /// (``ServiceMemory/returnFreedMemory()``): given back, a large body's parse has just been freed; taken, the one
    /// before it certainly has been (a thread of the verification pool may free it a moment after its request's
    /// answer, after the trim at its release).
    static let trimmingThreshold = 1 << 20

    /// Calls `waiter` once, the next time bytes are given back (a gRPC stream waiting for room; it tries again).
    func whenBytesAreGiven(_ waiter: @escaping @Sendable () -> Void) {
        waiters.withLock { $0.append(waiter) }
    }
}

/// One request's share of a ``BodyBudget``: it grows as the request's body does and is given back whole by
/// ``release()`` (or when it is deinitialised, whichever comes first).
public final class BodyReservation: Sendable {
    let budget: BodyBudget
    private let bytes = Mutex<Int>(0)

    public init(_ budget: BodyBudget) {
        self.budget = budget
    }

    deinit { release() }

    /// The bytes this reservation holds.
    public var heldBytes: Int { bytes.withLock { $0 } }

    /// Grows the reservation to hold `total` bytes; throws ``ServiceLimitError/busy(retryAfterSeconds:)`` (keeping what
    /// it held) when the budget cannot cover the growth.
    public func grow(to total: Int) throws(ServiceLimitError) {
        let granted = bytes.withLock { held -> Bool in
            guard total > held else { return true }
            guard budget.take(total - held) else { return false }
            held = total
            return true
        }
        if !granted { throw .busy(retryAfterSeconds: 1) }
    }

    /// Gives back part of the reservation (a gRPC stream's message that has been answered).
    public func shrink(by amount: Int) {
        let given = bytes.withLock { held -> Int in
            let given = min(amount, held)
            held -= given
            return given
        }
        if given > 0 { budget.give(given) }
    }

    /// Gives every byte back to the budget.
    public func release() {
        let given = bytes.withLock { held -> Int in
            defer { held = 0 }
            return held
        }
        if given > 0 { budget.give(given) }
    }
}
