import HephaestusSigstore
import Testing

/// The one identity matcher: exact, anchored regular expression, glob — used by verify, release and inventory.
@Suite("identity matcher")
struct ValueMatcherTests {
    static let workflow = "https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1.2.0"

    @Test("regular expressions match the whole value, never a part of it")
    func anchoredRegularExpression() {
        #expect(ValueMatcher.regularExpression("https://github.com/o/r/.*").matches(Self.workflow))
        #expect(!ValueMatcher.regularExpression("github.com/o/r").matches(Self.workflow))
        #expect(!ValueMatcher.regularExpression("https://github.com/o/r/.*").matches(Self.workflow + "\nx"))
    }

    @Test("identity patterns given as text: a glob when they hold * ? [, else exact; several are alternatives")
    func identityPatterns() {
        #expect(ValueMatcher.identityPatterns(["https://github.com/o/r/.github/workflows/release.yml@refs/tags/*"]).matches(Self.workflow))
        #expect(
            !ValueMatcher.identityPatterns(["https://github.com/o/r/.github/workflows/release.yml@refs/tags/*"]).matches(
                "https://github.com/o/evil/.github/workflows/release.yml@refs/tags/v1"))
        #expect(ValueMatcher.identityPatterns([Self.workflow]).matches(Self.workflow))
        #expect(!ValueMatcher.identityPatterns(["https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1"]).matches(Self.workflow))
        #expect(ValueMatcher.identityPatterns(["a@example.com", "https://github.com/o/*"]).matches(Self.workflow))
        #expect(!ValueMatcher.identityPatterns(["a@example.com", "b@example.com"]).matches("c@example.com"))
        #expect(ValueMatcher.identityPatterns([]).description == "(any, not pinned)")
    }
}
