import Foundation
import HephaestusPlatform

/// Checks an extracted wheelhouse: every file must be a wheel that passes ``WheelInspector``.
public enum WheelhouseInspection {
    public static func inspect(directory: String) throws -> [InspectedWheel] {
        var wheels: [String] = []
        var others: [String] = []
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else {
            throw WheelError.unreadable(file: directory, reason: "cannot list the extracted wheelhouse")
        }
        while let relative = enumerator.nextObject() as? String {
            let path = directory + "/" + relative
            var info = stat()
            guard lstat(path, &info) == 0 else { continue }
            switch info.st_mode & S_IFMT {
            case S_IFDIR: continue
            case S_IFREG where relative.hasSuffix(".whl"): wheels.append(path)
            default: others.append(relative)
            }
        }
        guard others.isEmpty else { throw WheelError.notAWheel(files: others.sorted()) }
        guard !wheels.isEmpty else { throw WheelError.empty }
        // Wheels are independent: inspect them on every core, report in name order, first failure in name order.
        let sorted = wheels.sorted()
        let results = ResultSlots(count: sorted.count)
        DispatchQueue.concurrentPerform(iterations: sorted.count) { index in
            results.set(index, Result { try WheelInspector.inspect(sorted[index]) })
        }
        return try results.values.map { try $0.get() }
    }
}

/// One result per index, written from concurrent workers.
private final class ResultSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [Result<InspectedWheel, any Error>?]

    init(count: Int) {
        slots = Array(repeating: nil, count: count)
    }

    func set(_ index: Int, _ result: Result<InspectedWheel, any Error>) {
        lock.lock()
        slots[index] = result
        lock.unlock()
    }

    var values: [Result<InspectedWheel, any Error>] {
        lock.lock()
        defer { lock.unlock() }
        return slots.map { $0! }
    }
}

