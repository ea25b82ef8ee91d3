import Foundation
import HephaestusPlatform
import Testing

@testable import HephaestusCore

/// Reading the index's simple pages to compare a file the index says it already has.
@Suite("Index file lookup")
struct IndexFileLookupTests {
    static func response(_ body: String, type: String) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.add("Content-Type", type)
        return HTTPResponse(
            head: HTTPResponseHead(status: 200, headers: headers), body: Array(body.utf8), url: URL(string: "https://pypi.org/simple/x/")!)
    }

    @Test("PEP 503 anchors: attributes in any order and quoting, entities, files without a hash, names from the URL when the text is empty")
    func html() {
        let page = """
            <!DOCTYPE html><html><body><h1>Links for demo</h1>
            <a href="https://files.example/packages/ab/demo-1.0-py3-none-any.whl#sha256=AAAA" data-requires-python="&gt;=3.9">demo-1.0-py3-none-any.whl</a><br/>
            <A data-dist-info-metadata="sha256=ff" HREF='../../packages/demo-1.0.tar.gz#sha256=bbbb'>
              demo-1.0.tar.gz </A>
            <a href="/packages/demo-0.9.zip">demo-0.9.zip</a>
            <a href="/packages/demo%2B1-2.0-py3-none-any.whl?x=1&amp;y=2#sha256=cccc"></a>
            </body></html>
            """
        let files = IndexFileLookup.files(in: Self.response(page, type: "text/html"))
        #expect(
            files == [
                .init(filename: "demo-1.0-py3-none-any.whl", sha256: "AAAA"),
                .init(filename: "demo-1.0.tar.gz", sha256: "bbbb"),
                .init(filename: "demo-0.9.zip", sha256: nil),
                .init(filename: "demo+1-2.0-py3-none-any.whl", sha256: "cccc"),
            ])
    }

    @Test("PEP 691 JSON pages")
    func json() {
        let page =
            #"{"meta": {"api-version": "1.1"}, "name": "demo", "files": [{"filename": "demo-1.0-py3-none-any.whl", "url": "u", "hashes": {"sha256": "abc"}}, {"filename": "demo-1.0.tar.gz", "url": "v", "hashes": {}}]}"#
        #expect(
            IndexFileLookup.files(in: Self.response(page, type: "application/vnd.pypi.simple.v1+json")) == [
                .init(filename: "demo-1.0-py3-none-any.whl", sha256: "abc"), .init(filename: "demo-1.0.tar.gz", sha256: nil),
            ])
    }

    @Test("simple index for an upload URL")
    func locations() {
        let cases = [
            ("https://upload.pypi.org/legacy/", "https://pypi.org/simple/"),
            ("https://test.pypi.org/legacy/", "https://test.pypi.org/simple/"),
            ("http://127.0.0.1:8080/", "http://127.0.0.1:8080/simple/"),
            ("http://127.0.0.1:8080/legacy/", "http://127.0.0.1:8080/simple/"),
            ("https://repo.example/artifactory/api/pypi/pypi-local", "https://repo.example/artifactory/api/pypi/pypi-local/simple/"),
        ]
        for (upload, simple) in cases {
            #expect(IndexFileLookup.simpleURL(forUpload: URL(string: upload)!).absoluteString == simple, "\(upload)")
        }
    }
}
