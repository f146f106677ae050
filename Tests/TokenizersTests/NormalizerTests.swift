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
