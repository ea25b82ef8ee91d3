import Synchronization

/// Signatures already verified in this run, remembered by the exact bytes that were checked, so that work proven once
/// (a leaf certificate's signature by its issuer, an SCT, a log checkpoint shared by many bundles) is not repeated.
///
/// Sound because a signature check is a pure function of its inputs: an entry is the key (held, compared by
/// identity, so it cannot be another key at a reused address), the scheme, the whole message and the whole signature,
/// and only a check that passed is remembered. Any other input, a single byte different, misses and is checked
/// afresh; a refused signature is never remembered. No time is involved: validity windows are checked by the caller
/// on every use. Bounded: when `capacity` entries are held, they are all forgotten.
public final class VerifiedSignatureCache: Sendable {
    struct Entry: Hashable {
        let key: PublicKey
        let scheme: String
        let message: [UInt8]
        let signature: [UInt8]

        static func == (lhs: Entry, rhs: Entry) -> Bool {
            lhs.key === rhs.key && lhs.scheme == rhs.scheme && lhs.signature == rhs.signature && lhs.message == rhs.message
        }

        /// The key and the signature only: a signature already tells entries apart (it is unique to its message for
        /// all practical purposes), and hashing kilobytes of certificate per lookup would cost more than it saves.
        /// Equality still compares every byte of the message.
        func hash(into hasher: inout Hasher) {
            hasher.combine(ObjectIdentifier(key))
            hasher.combine(signature)
        }
    }

    public let capacity: Int
    private let entries = Mutex<Set<Entry>>([])
    private let counters = Mutex<(hits: Int, misses: Int)>((0, 0))

    public init(capacity: Int = 4096) {
        self.capacity = max(1, capacity)
        entries.withLock { $0.reserveCapacity(self.capacity) }
    }

    /// True when `signature` over `message` verifies with `key` under `scheme`: remembered, or checked now.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8], key: PublicKey, scheme: SignatureScheme) -> Bool {
        let entry = Entry(key: key, scheme: scheme.description, message: message, signature: signature)
        if entries.withLock({ $0.contains(entry) }) {
            counters.withLock { $0.hits += 1 }
            return true
        }
        counters.withLock { $0.misses += 1 }
        guard key.isValidSignature(signature, for: message, scheme: scheme) else { return false }
        entries.withLock { entries in
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries.insert(entry)
        }
        return true
    }

    /// Checks answered from memory and checks made, since the cache was made (for tests and profiling).
    public var statistics: (hits: Int, misses: Int) { counters.withLock { $0 } }
}
