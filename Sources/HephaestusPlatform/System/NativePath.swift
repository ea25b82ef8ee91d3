import Foundation
import Glibc

/// File names as the kernel has them: bytes, which need not be UTF-8, carried losslessly in Swift strings.
///
/// Swift's `CommandLine.arguments` repairs bytes that are not UTF-8 with U+FFFD, so a file named `\xff` could never be
/// opened. Instead, arguments are decoded with ``decode(_:)``: valid UTF-8 is read as usual and every byte that is not
/// part of valid UTF-8 becomes a code point of Plane 16's private use area, U+10FE00 + byte (0xFF is U+10FEFF). The
/// few names that hold such a code point themselves have each of its bytes escaped the same way, so any byte string
/// round-trips: `bytes(decode(b)) == b`. Every system call that takes a path gets ``cString(_:)``, which turns the
/// escapes back into the original bytes; names printed for people (sha256sum lines) go out as ``bytes(_:)`` too. JSON
/// documents, which must be UTF-8, carry the escaped form, which names the same file when given back.
public enum NativePath {
    /// The escape of byte `b` (0x80…0xFF) is U+10FE00 + b.
    static let escapeBase: UInt32 = 0x10FE00
    static let escapes: ClosedRange<UInt32> = 0x10FE80...0x10FEFF

    /// The process's arguments, `argv[0]` included, decoded losslessly from the bytes the kernel passed.
    public static var arguments: [String] {
        (0..<Int(CommandLine.argc)).map { index in
            guard let argument = CommandLine.unsafeArgv[index] else { return "" }
            return decode(UnsafeRawBufferPointer(start: argument, count: strlen(argument)))
        }
    }

    /// The string for a file name's bytes: UTF-8 as is, other bytes escaped.
    public static func decode(_ bytes: some Collection<UInt8>) -> String {
        // U+10FE80…U+10FEFF are encoded F4 8F BA/BB xx: input without 0xF4 that is valid UTF-8 needs no escape.
        if !bytes.contains(0xF4), let text = String(validating: bytes, as: UTF8.self) { return text }
        let input = Array(bytes)
        var scalars = String.UnicodeScalarView()
        var index = 0
        while index < input.count {
            let length = scalarLength(input, at: index)
            if length > 0 {
                let scalar = String(decoding: input[index..<index + length], as: UTF8.self).unicodeScalars.first!
                if !escapes.contains(scalar.value) {
                    scalars.append(scalar)
                    index += length
                    continue
                }
            }
            // A byte that starts no valid sequence, or the bytes of a scalar that is itself an escape.
            for byte in input[index..<index + max(length, 1)] { scalars.append(Unicode.Scalar(escapeBase + UInt32(byte))!) }
            index += max(length, 1)
        }
        return String(scalars)
    }

    /// The bytes a string names: its UTF-8, each escape turned back into its byte.
    public static func bytes(_ path: String) -> [UInt8] {
        guard path.utf8.contains(0xF4) else { return Array(path.utf8) }
        var output: [UInt8] = []
        output.reserveCapacity(path.utf8.count)
        for scalar in path.unicodeScalars {
            if escapes.contains(scalar.value) {
                output.append(UInt8(scalar.value - escapeBase))
            } else {
                output.append(contentsOf: String(scalar).utf8)
            }
        }
        return output
    }

    /// The NUL-terminated path to give a system call.
    public static func cString(_ path: String) -> [CChar] {
        cString(bytes: bytes(path))
    }

    static func cString(bytes: some Collection<UInt8>) -> [CChar] {
        bytes.map { CChar(bitPattern: $0) } + [0]
    }

    /// Whether something exists at `path` (symbolic links followed), as `FileManager.fileExists` but for any name.
    public static func exists(_ path: String) -> Bool {
        access(cString(path), F_OK) == 0
    }

    /// The names in a directory (without `.` and `..`), or nil when it cannot be read.
    public static func entries(ofDirectory path: String) -> [String]? {
        guard let directory = opendir(cString(path)) else { return nil }
        defer { closedir(directory) }
        return names(in: directory).map(decode)
    }

    /// The raw names `readdir` gives, without `.` and `..`.
    private static func names(in directory: OpaquePointer) -> [[UInt8]] {
        var names: [[UInt8]] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if name != [0x2E] && name != [0x2E, 0x2E] { names.append(name) }
        }
        return names
    }

    /// Creates the directory `path` (with `permissions`) and any missing parents (0755), as `mkdir -p`; an existing
    /// directory is fine.
    public static func createDirectories(_ path: String, permissions: mode_t = 0o755) throws(FileError) {
        let full = bytes(path)
        for (index, byte) in full.enumerated() where byte == UInt8(ascii: "/") && index > 0 {
            _ = mkdir(cString(bytes: full[..<index]), 0o755)
        }
        guard mkdir(cString(path), permissions) == 0 else {
            let code = errno
            var info = stat()
            if code == EEXIST, stat(cString(path), &info) == 0, info.st_mode & S_IFMT == S_IFDIR { return }
            throw FileError.fromErrno(code, path: path, writing: true)
        }
    }

    /// Removes `path` and, for a directory, everything below it, without following symbolic links (best effort).
    public static func removeTree(_ path: String) {
        removeTree(cString(path), in: AT_FDCWD)
    }

    private static func removeTree(_ name: [CChar], in parent: Int32) {
        if unlinkat(parent, name, 0) == 0 || errno != EISDIR { return }
        let descriptor = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        guard let directory = fdopendir(descriptor) else {
            close(descriptor)
            return
        }
        for child in names(in: directory) { removeTree(cString(bytes: child), in: descriptor) }
        closedir(directory)
        _ = unlinkat(parent, name, AT_REMOVEDIR)
    }

    /// The length of the valid UTF-8 sequence at `index` (Unicode Table 3-7: shortest form, no surrogates, at most
    /// U+10FFFF), or 0 when the byte there starts none.
    static func scalarLength(_ bytes: [UInt8], at index: Int) -> Int {
        let lead = bytes[index]
        let length: Int
        let second: ClosedRange<UInt8>
        switch lead {
        case 0x00...0x7F: return 1
        case 0xC2...0xDF: (length, second) = (2, 0x80...0xBF)
        case 0xE0: (length, second) = (3, 0xA0...0xBF)
        case 0xE1...0xEC, 0xEE...0xEF: (length, second) = (3, 0x80...0xBF)
        case 0xED: (length, second) = (3, 0x80...0x9F)
        case 0xF0: (length, second) = (4, 0x90...0xBF)
        case 0xF1...0xF3: (length, second) = (4, 0x80...0xBF)
        case 0xF4: (length, second) = (4, 0x80...0x8F)
        default: return 0
        }
        guard index + length <= bytes.count, second.contains(bytes[index + 1]) else { return 0 }
        for offset in 2..<length where !(0x80...0xBF).contains(bytes[index + offset]) { return 0 }
        return length
    }
}

extension FileHandle {
    /// `FileHandle(forReadingAtPath:)` for any file name (see ``NativePath``); nil when it cannot be opened.
    public static func forReading(nativePath path: String) -> FileHandle? {
        let descriptor = open(NativePath.cString(path), O_RDONLY | O_CLOEXEC)
        return descriptor < 0 ? nil : FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
    }
}
