/// The random numbers trace and span ids are made from: xoshiro256** (Blackman and Vigna), seeded from the system's
/// generator. The system generator costs a `getrandom` call per number, and a traced batch verification makes eight
/// ids a bundle; W3C Trace Context asks ids to be random, not unpredictable (the reference SDKs use their language's
/// ordinary generator: Python's `random`, Go's `math/rand`, Java's `ThreadLocalRandom`).
struct IDGenerator: RandomNumberGenerator {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    init() {
        var system = SystemRandomNumberGenerator()
        repeat {
            state = (system.next(), system.next(), system.next(), system.next())
        } while state == (0, 0, 0, 0)
    }

    /// A generator with a fixed seed (tests); the state must not be all zero.
    init(seed: (UInt64, UInt64, UInt64, UInt64)) {
        precondition(seed != (0, 0, 0, 0), "xoshiro256** needs a state that is not all zero")
        state = seed
    }

    mutating func next() -> UInt64 {
        let result = rotate(state.1 &* 5, 7) &* 9
        let shifted = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= shifted
        state.3 = rotate(state.3, 45)
        return result
    }

    private func rotate(_ value: UInt64, _ count: UInt64) -> UInt64 {
        (value << count) | (value >> (64 - count))
    }
}
