internal import COpenSSL

/// An OpenSSL memory `BIO`, owned by this type: a read-only view of bytes, or a sink whose contents can be read back.
final class MemoryBIO {
    let handle: OpaquePointer
    private let retained: [UInt8]

    /// A read-only BIO over a copy of `bytes` (kept alive as long as the BIO).
    init(reading bytes: [UInt8]) {
        self.retained = bytes
        let handle = retained.withUnsafeBytes { buffer -> OpaquePointer? in
            BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count))
        }
        guard let handle else { fatalError("BIO_new_mem_buf: out of memory") }
        self.handle = handle
    }

    /// An empty, writable BIO.
    init() {
        self.retained = []
        guard let handle = BIO_new(BIO_s_mem()) else { fatalError("BIO_new: out of memory") }
        self.handle = handle
    }

    deinit {
        BIO_free(handle)
    }

    /// Everything written so far.
    var contents: [UInt8] {
        var pointer: UnsafeMutablePointer<CChar>?
        let length = hp_BIO_get_mem_data(handle, &pointer)
        guard let pointer, length > 0 else { return [] }
        return pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
            Array(UnsafeBufferPointer(start: $0, count: length))
        }
    }
}
