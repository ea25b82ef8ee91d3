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
            case S_IFDIR where isWheelName(relative): throw WheelError.directoryNamedWheel(path: relative)
            case S_IFDIR: continue
            case S_IFREG where isWheelName(relative): wheels.append(path)
            default: others.append(relative)
            }
        }
        guard others.isEmpty else { throw WheelError.notAWheel(files: others.sorted()) }
        guard !wheels.isEmpty else { throw WheelError.empty }
        return try inspect(wheels: wheels.sorted())
    }

    /// A wheel's file name ends in `.whl`, as pip's `--find-links` reads a directory.
    public static func isWheelName(_ name: String) -> Bool { name.hasSuffix(".whl") }

    /// The wheelhouse rules of ``inspect(directory:)`` that need no wheel opened, applied while an archive is
    /// extracted: no directory named like a wheel (refused before it is written), and at least one wheel.
    public static let extractionRules = ExtractionRules(
        admit: { entry, components in
            let directories = entry.kind == .directory ? components[...] : components.dropLast()
            if let index = directories.firstIndex(where: isWheelName) {
                throw WheelError.directoryNamedWheel(path: components[...index].joined(separator: "/"))
            }
        },
        complete: { report in
            guard report.files.contains(where: isWheelName) else { throw WheelError.empty }
        })

    /// Inspects independent wheels on every core: results in the order given, the first failure in that order thrown.
    public static func inspect(wheels paths: [String]) throws -> [InspectedWheel] {
        try ParallelMap.mapThrowing(paths, jobs: ProcessInfo.processInfo.activeProcessorCount) { try WheelInspector.inspect($0) }
    }
}
