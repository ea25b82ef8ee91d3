import Foundation
import Testing

/// The documentation's links lead somewhere, and the index reaches every page.
@Suite("documentation links")
struct DocumentationLinkTests {
    static let root = ExitCodeDocumentation.repositoryRoot

    /// Every Markdown file of the project (not build or virtualenv folders).
    static func markdownFiles() throws -> [String] {
        let enumerator = try #require(FileManager.default.enumerator(atPath: root.path))
        var files: [String] = []
        while let path = enumerator.nextObject() as? String {
            let first = path.split(separator: "/").first.map(String.init) ?? path
            if first.hasPrefix(".") || first == "bench" && path.contains("/work/") {
                enumerator.skipDescendants()
                continue
            }
            if path.hasSuffix(".md") { files.append(path) }
        }
        return files.sorted()
    }

    /// The relative link targets of a Markdown text (`[text](target)`, anchors and URLs aside).
    static func relativeLinks(_ text: String) -> [String] {
        text.matches(of: /\]\(([^)\s#]+)(#[^)]*)?\)/).compactMap { match in
            let target = String(match.1)
            return target.contains("://") || target.hasPrefix("mailto:") ? nil : target
        }
    }

    @Test("every relative link in every Markdown file names an existing file")
    func linksResolve() throws {
        let files = try Self.markdownFiles()
        #expect(files.contains("docs/README.md") && files.contains("README.md"))
        for file in files {
            let text = try String(contentsOf: Self.root.appendingPathComponent(file), encoding: .utf8)
            let directory = Self.root.appendingPathComponent(file).deletingLastPathComponent()
            for target in Self.relativeLinks(text) {
                let resolved = directory.appendingPathComponent(target).standardizedFileURL.path
                #expect(FileManager.default.fileExists(atPath: resolved), "\(file) links to \(target), which does not exist")
            }
        }
    }

    @Test("docs/README.md reaches every page under docs/ and runbooks/")
    func indexIsComplete() throws {
        let index = try String(contentsOf: Self.root.appendingPathComponent("docs/README.md"), encoding: .utf8)
        let linked = Set(
            Self.relativeLinks(index).map { Self.root.appendingPathComponent("docs").appendingPathComponent($0).standardizedFileURL.path })
        for file in try Self.markdownFiles() where (file.hasPrefix("docs/") || file.hasPrefix("runbooks/")) && file != "docs/README.md" {
            #expect(linked.contains(Self.root.appendingPathComponent(file).standardizedFileURL.path), "docs/README.md does not link \(file)")
        }
    }
}
