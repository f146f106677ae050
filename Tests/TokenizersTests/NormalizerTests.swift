import Tokenizers
import XCTest

final class NormalizerTests: XCTestCase {
    func testBertNormalizerCleansLowercasesAndStripsAccents() {
        let normalizer = BertNormalizer()
        XCTAssertEqual(normalizer.normalize("Héllo\tWORLD\u{0}\u{200B}!"), "hello world!")
        XCTAssertEqual(normalizer.normalize("中文"), " 中  文 ")
        XCTAssertEqual(BertNormalizer(stripAccents: false).normalize("Héllo"), "héllo")
        XCTAssertEqual(BertNormalizer(lowercase: false).normalize("Héllo"), "Héllo")
        XCTAssertEqual(BertNormalizer(stripAccents: true, lowercase: false).normalize("Héllo"), "Hello")
    }

    func testAlignmentsFollowInsertedAndRemovedScalars() {
        // İ lowercases to i + U+0307; both keep İ's place in the original.
        var s = NormalizedString("aİb")
        s.lowercase()
        XCTAssertEqual(s.scalars, ["a", "i", "\u{307}", "b"])
        XCTAssertEqual(s.alignments, [0..<1, 1..<2, 1..<2, 2..<3])
        // NFD then dropping marks: é (1 scalar) → e, offsets still cover é.
        var t = NormalizedString("xé")
        t.nfd()
        XCTAssertEqual(t.scalars, ["x", "e", "\u{301}"])
        XCTAssertEqual(t.alignments, [0..<1, 1..<2, 1..<2])
        XCTAssertEqual(t.originalRange(of: 1..<3), 1..<2)
    }

    func testTextNormalizationLeavesInPlaceStoresNoRanges() {
        // A long line costs its scalars: ASCII that BERT's normalizer only lowercases keeps its alignments as
        // the rule "scalar i came from i", and so does a slice or a removal at the end.
        var s = NormalizedString(String(repeating: "Ab c", count: 10_000))
        BertNormalizer().normalize(&s)
        XCTAssertTrue(s.alignments.isIdentity)
        XCTAssertEqual(s.alignments[39_999], 39_999..<40_000)
        XCTAssertTrue(s.slice(4..<8).alignments.isIdentity)
        XCTAssertEqual(s.slice(4..<8).alignments, [4..<5, 5..<6, 6..<7, 7..<8])
        // The first edit that breaks the rule stores ranges, with the same values.
        var t = NormalizedString("a\u{0}b")
        BertNormalizer().normalize(&t)
        XCTAssertFalse(t.alignments.isIdentity)
        XCTAssertEqual(t.alignments, [0..<1, 2..<3])
        var u = Alignments(identityFrom: 5, count: 3)
        u.append(8..<9)
        XCTAssertTrue(u.isIdentity)
        u.append(8..<9)
        XCTAssertFalse(u.isIdentity)
        XCTAssertEqual(u, [5..<6, 6..<7, 7..<8, 8..<9, 8..<9])
    }

    func testCanonicalReorderingOfMarks() {
        var s = NormalizedString("a\u{301}\u{316}")  // acute (230) before grave below (220)
        s.nfd()
        XCTAssertEqual(s.scalars, ["a", "\u{316}", "\u{301}"])
    }

    func testOffsetsPointIntoTheOriginalText() throws {
        let tokenizer = try TinyTokenizer.make()
        let text = "  Héllo,\u{200B} WÖRLDS!"
        let encoding = tokenizer.encode(text, addSpecialTokens: false)
        XCTAssertEqual(encoding.tokens, ["hello", ",", "world", "##s", "!"])
        let scalars = Array(text.unicodeScalars)
        let pieces = encoding.offsets.map { String(String.UnicodeScalarView(scalars[$0])) }
        XCTAssertEqual(pieces, ["Héllo", ",", "WÖRLD", "S", "!"])
    }

    func testBertPreTokenizerSplitsWhitespaceAndPunctuation() {
        let words = BertPreTokenizer().preTokenize("Don't stop-now ...ok").map(\.word)
        XCTAssertEqual(words, ["Don", "'", "t", "stop", "-", "now", ".", ".", ".", "ok"])
    }
}
