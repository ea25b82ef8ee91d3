import Glibc

/// The one `write(2)` loop: every byte written, again after `EINTR` and after short writes.
public enum DescriptorWriter {
    /// Writes all of `bytes` to `descriptor`; nil when every byte was written, else the `errno` of the failure.
    public static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32? {
        var offset = 0
        while offset < bytes.count {
            let count = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if count < 0 {
                if errno == EINTR { continue }
                return errno
            }
            // write(2) never returns 0 for a non-empty buffer on a file, pipe or terminal; refuse to spin if it does.
            guard count > 0 else { return EIO }
            offset += count
        }
        return nil
    }

    /// Writes all of `bytes` to `descriptor`; nil when every byte was written, else the `errno` of the failure.
    public static func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) -> Int32? {
        bytes.withUnsafeBytes { writeAll(descriptor, $0) }
    }

    /// The text of an `errno` value (`No space left on device`).
    public static func reason(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}
