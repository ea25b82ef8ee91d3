import Foundation

extension UUID {
    /// A random (version 4, RFC 9562 §5.4) UUID drawn from `SystemRandomNumberGenerator`, as its lowercase text.
    /// Foundation's `UUID()` on Linux opens, reads and closes /dev/urandom for every id (a path walk and a descriptor
    /// each time) where this makes two `getrandom` calls, on a path every served request takes twice (its request id
    /// and run id).
    public static func randomLowercased() -> String {
        var generator = SystemRandomNumberGenerator()
        var value = (generator.next() as UInt64, generator.next() as UInt64)
        return withUnsafeMutableBytes(of: &value) { bytes in
            bytes[6] = bytes[6] & 0x0F | 0x40  // version 4
            bytes[8] = bytes[8] & 0x3F | 0x80  // the RFC's variant
            return UUID(uuid: bytes.load(as: uuid_t.self)).uuidString.lowercased()
        }
    }
}
