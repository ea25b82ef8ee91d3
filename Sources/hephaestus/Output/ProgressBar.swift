import Foundation
import Glibc
import HephaestusCore
import HephaestusPlatform
import Synchronization

/// A one-line transfer progress bar (downloads, uploads) on stderr, drawn only when stderr is a terminal, logs are
/// human text and `--quiet` is not given. Unchecked: its mutable state (`lastDraw`) is only touched under `lock`.
final class ProgressBar: @unchecked Sendable {
    private let label: String
    private let started = Date()
    private var lastDraw = Date.distantPast
    private let lock = NSLock()

    private init(label: String) {
        self.label = label
    }

    /// A progress callback for `label`, or nil when no bar should be drawn.
    static func callback(label: String, context: CommandContext, quiet: Bool) -> (@Sendable (Int64, Int64?) -> Void)? {
        factory(context: context, quiet: quiet).map { $0(label) }
    }

    /// The progress sink of an operation run from the CLI: a bar per transfer label on a terminal, nothing otherwise.
    static func sink(context: CommandContext, quiet: Bool) -> ProgressSink {
        guard let bars = factory(context: context, quiet: quiet) else { return .none }
        let drawn = Mutex<[String: @Sendable (Int64, Int64?) -> Void]>([:])
        return ProgressSink { event in
            guard case .transfer(let label, let done, let total) = event else { return }
            let bar = drawn.withLock { drawn in
                if let bar = drawn[label] { return bar }
                let bar = bars(label)
                drawn[label] = bar
                return bar
            }
            bar(done, total)
        }
    }

    /// Makes a bar per label, or nil when no bar should be drawn.
    static func factory(context: CommandContext, quiet: Bool) -> (@Sendable (String) -> @Sendable (Int64, Int64?) -> Void)? {
        guard isatty(2) == 1, context.logFormat == .text, !quiet else { return nil }
        return { label in
            let bar = ProgressBar(label: label)
            return { done, total in bar.draw(received: done, total: total) }
        }
    }

    private func draw(received: Int64, total: Int64?) {
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        let done = total.map { received >= $0 } ?? false
        guard done || now.timeIntervalSince(lastDraw) > 0.1 else { return }
        lastDraw = now
        let rate = Double(received) / max(now.timeIntervalSince(started), 0.001) / 1e6
        var line = "\r\(label)  \(Self.megabytes(received))"
        if let total, total > 0 {
            let fraction = min(1, Double(received) / Double(total))
            let width = 24
            let filled = Int(fraction * Double(width))
            line +=
                " / \(Self.megabytes(total)) [" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
                + "] \(Int(fraction * 100))%"
        }
        line += String(format: "  %.1f MB/s", rate) + (done ? "\n" : "")
        _ = DescriptorWriter.writeAll(STDERR_FILENO, Array(line.utf8))
    }

    private static func megabytes(_ bytes: Int64) -> String {
        String(format: "%.1f MB", Double(bytes) / 1e6)
    }
}
