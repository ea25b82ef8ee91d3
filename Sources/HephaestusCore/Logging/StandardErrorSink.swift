import Foundation
import Glibc
import HephaestusPlatform

/// Where log lines go: standard error by default, a closure in tests. Each line is written with one `write(2)`,
/// so records from several threads never interleave.
public struct LogSink: Sendable {
    private let writeLine: @Sendable (String) -> Void

    public init(_ writeLine: @escaping @Sendable (String) -> Void) {
        self.writeLine = writeLine
    }

    /// Standard error.
    public static let standardError = LogSink { line in
        // A failed write to stderr has nowhere to be reported: the line is dropped.
        _ = DescriptorWriter.writeAll(STDERR_FILENO, Array((line + "\n").utf8))
    }

    public func write(_ line: String) {
        writeLine(line)
    }
}
