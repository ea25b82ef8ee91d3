import Foundation
import HephaestusCore
import Testing

/// `.pypirc` as twine reads it.
@Suite("pypirc")
struct PyPIRCTests {
    static let text = """
        # upload targets\r
        [distutils]\r
        index-servers =\r
            pypi\r
            local\r
        \r
        [pypi]\r
        username: __token__\r
        password = pypi-AgEIcHlwaS5vcmc%with%percent\r
        \r
        [local]\r
        ; our own index\r
        Repository = http://127.0.0.1:8080/legacy/\r
        username = alice\r

        """

    @Test("sections, `=` and `:` separators, comments, continuation lines, CRLF, case-insensitive keys, no interpolation")
    func parsing() throws {
        let config = try PyPIRC(path: "/home/u/.pypirc", text: Self.text)
        #expect(config.sections["distutils"]?["index-servers"] == "pypi\nlocal")
        let pypi = try config.repository("pypi")
        #expect(pypi.url?.absoluteString == "https://upload.pypi.org/legacy/")
        #expect(pypi.username == "__token__" && pypi.password == "pypi-AgEIcHlwaS5vcmc%with%percent")
        let local = try config.repository("local")
        #expect(local.url?.absoluteString == "http://127.0.0.1:8080/legacy/")
        #expect(local.username == "alice" && local.password == nil)
        #expect(try config.repository("testpypi").url?.absoluteString == "https://test.pypi.org/legacy/", "built in")
    }

    @Test("an unknown repository, a setting outside a section, a line without a separator and a relative URL are errors naming the file")
    func errors() throws {
        let config = try PyPIRC(path: "/home/u/.pypirc", text: Self.text)
        #expect(throws: PublishError.configuration("repository nope is not defined in /home/u/.pypirc (sections: distutils, local, pypi)")) {
            try config.repository("nope")
        }
        #expect(throws: PublishError.configuration("/p: line 1: a setting outside any [section]")) { try PyPIRC(path: "/p", text: "username = x\n") }
        #expect(throws: PublishError.configuration("/p: line 2: expected `key = value`")) { try PyPIRC(path: "/p", text: "[a]\njust words\n") }
        let relative = try PyPIRC(path: "/p", text: "[a]\nrepository = /legacy/\n")
        #expect(throws: PublishError.configuration("/p: [a] repository /legacy/ is not an absolute URL")) { try relative.repository("a") }
        #expect(try PyPIRC.load(path: "/nonexistent/.pypirc").sections.isEmpty, "no file: nothing configured")
    }
}
