import Foundation
import Tokenizers
import XCTest

/// The stages beyond BERT's, one at a time (the fixtures check them against tokenizers as whole pipelines).
final class ComponentTests: XCTestCase {
    func testUnicodeForms() {
        XCTAssertEqual(UnicodeNormalizer(.nfc).normalize("e\u{301}"), "é")
        XCTAssertEqual(UnicodeNormalizer(.nfd).normalize("é"), "e\u{301}")
        XCTAssertEqual(UnicodeNormalizer(.nfkd).normalize("ﬁ²"), "fi2")
        XCTAssertEqual(UnicodeNormalizer(.nfkc).normalize("ｶﾞ\u{1100}\u{1161}"), "ガ가")
        // A composite keeps its first scalar's alignment, as tokenizers reports it (é of "xe\u{301}y" is 1..<2).
        var s = NormalizedString("xe\u{301}y")
        s.nfc()
        XCTAssertEqual(s.alignments, [0..<1, 1..<2, 3..<4])
    }

    func testStripAccentsRemovesEveryCombiningMark() {
        XCTAssertEqual(StripAccents().normalize("e\u{301} \u{93F} 1\u{20E3}"), "e  1")
    }

    func testReplaceAndPrependAlignments() throws {
        var s = NormalizedString("a``b")
        try Replace(.string("``"), with: "\"").normalize(&s)
        XCTAssertEqual(s.text, "a\"b")
        XCTAssertEqual(s.alignments, [0..<1, 2..<3, 3..<4], "the replacement takes the last replaced scalar's place")
        var t = NormalizedString("hi")
        Prepend("\u{2581}").normalize(&t)
        XCTAssertEqual(t.text, "\u{2581}hi")
        XCTAssertEqual(t.alignments, [0..<1, 0..<1, 1..<2])
        XCTAssertEqual(try Replace(.regex(" {2,}"), with: " ").normalize("a  b    c"), "a b c")
        XCTAssertThrowsError(try Replace(.regex("(unclosed"), with: ""))
    }

    func testMetaspaceSchemesAndSplitting() {
        XCTAssertEqual(MetaspacePreTokenizer().preTokenize("Hey  you").map(\.word), ["▁Hey", "▁", "▁you"])
        XCTAssertEqual(MetaspacePreTokenizer(split: false).preTokenize("Hey you").map(\.word), ["▁Hey▁you"])
        XCTAssertEqual(MetaspacePreTokenizer(prependScheme: .never).preTokenize("Hey").map(\.word), ["Hey"])
        XCTAssertEqual(MetaspaceDecoder().decode(["▁Hey", "▁you"]), "Hey you")
        XCTAssertEqual(MetaspaceDecoder(prependScheme: .never).decode(["▁Hey"]), " Hey")
    }

    func testByteLevelSplitsLikeGPT2AndKeepsCharacterOffsets() {
        let words = ByteLevelPreTokenizer(addPrefixSpace: false).preTokenize("I'm  fine, café!\n")
        XCTAssertEqual(words.map(\.word), ["I", "'m", "Ġ", "Ġfine", ",", "Ġcaf\u{C3}\u{A9}", "!", "Ċ"])
        XCTAssertEqual(words.map(\.range), [0..<1, 1..<3, 3..<4, 4..<9, 9..<10, 10..<15, 15..<16, 16..<17])
        XCTAssertEqual(ByteLevelDecoder().decode(["Ġcaf\u{C3}\u{A9}", "!"]), " café!")
        XCTAssertEqual(ByteLevelDecoder().decode(["\u{C3}"]), "\u{FFFD}", "a lone lead byte")
    }

    func testSplitBehaviors() throws {
        func words(_ behavior: SplitBehavior, invert: Bool = false) throws -> [String] {
            try SplitPreTokenizer(pattern: .string("-"), behavior: behavior, invert: invert).preTokenize("a-b--c").map(\.word)
        }
        XCTAssertEqual(try words(.removed), ["a", "b", "c"])
        XCTAssertEqual(try words(.isolated), ["a", "-", "b", "-", "-", "c"])
        XCTAssertEqual(try words(.mergedWithPrevious), ["a-", "b-", "-", "c"])
        XCTAssertEqual(try words(.mergedWithNext), ["a", "-b", "-", "-c"])
        XCTAssertEqual(try words(.contiguous), ["a", "-", "b", "--", "c"])
        XCTAssertEqual(try words(.removed, invert: true), ["-", "-", "-"], "each match is a piece of its own")
        XCTAssertEqual(DigitsPreTokenizer(individualDigits: true).preTokenize("a12").map(\.word), ["a", "1", "2"])
        XCTAssertEqual(DigitsPreTokenizer().preTokenize("a12b").map(\.word), ["a", "12", "b"])
        XCTAssertEqual(PunctuationPreTokenizer().preTokenize("hi!?").map(\.word), ["hi", "!", "?"])
        XCTAssertEqual(WhitespacePreTokenizer().preTokenize("it's ok").map(\.word), ["it", "'", "s", "ok"])
        XCTAssertEqual(WhitespaceSplit().preTokenize(" it's\tok ").map(\.word), ["it's", "ok"])
    }

    func testBPEMergesByRankAndFallsBack() throws {
        let vocabulary: [String: Int32] = ["a": 0, "b": 1, "c": 2, "ab": 3, "bc": 4, "abc": 5, "<unk>": 6,
                                           "<0x78>": 7]
        let bpe = try BPE(vocabulary: vocabulary, merges: [("b", "c"), ("a", "b"), ("a", "bc")], unknownToken: "<unk>",
                          fuseUnknown: true, byteFallback: true)
        var tokens = [ModelToken]()
        bpe.tokenize(Array("abcx".unicodeScalars)[...], into: &tokens)
        XCTAssertEqual(tokens.map(\.id), [5, 7], "bc (rank 0) first, then a+bc; x falls back to its byte")
        tokens.removeAll()
        bpe.tokenize(Array("ayyb".unicodeScalars)[...], into: &tokens)
        XCTAssertEqual(tokens.map(\.id), [0, 6, 1], "unknown scalars fuse")
        XCTAssertEqual(tokens.map(\.range), [0..<1, 1..<3, 3..<4])
        XCTAssertThrowsError(try BPE(vocabulary: vocabulary, merges: [("c", "a")])) { error in
            XCTAssertEqual(error as? TokenizerError, .unknownToken(file: "BPE", path: "model.merges[0]", token: "ca"))
        }
    }

    func testUnigramViterbiAndUnknownFusing() throws {
        let unigram = try Unigram(
            vocabulary: [("<unk>", 0), ("a", -1), ("b", -1), ("ab", -1.5), ("abc", -4), ("c", -2)], unknownTokenId: 0)
        var tokens = [ModelToken]()
        unigram.tokenize(Array("abcxyab".unicodeScalars)[...], into: &tokens)
        XCTAssertEqual(tokens.map(\.id), [3, 5, 0, 3])
        XCTAssertEqual(tokens.map(\.range), [0..<2, 2..<3, 3..<5, 5..<7])
        XCTAssertEqual(tokens[2].value, "xy", "an unknown piece keeps its text")
    }

    func testByteLevelTrimOffsets() {
        var e = Encoding(ids: [1, 2, 3], tokens: ["Ġhello", "Ġ", "world"], offsets: [0..<6, 6..<7, 7..<12],
                         typeIds: [0, 0, 0], attentionMask: [1, 1, 1], specialTokensMask: [0, 0, 0],
                         wordIds: [0, 1, 2], sequenceIds: [0, 0, 0])
        e = ByteLevelPostProcessor(trimOffsets: true, addPrefixSpace: false).process(e, pair: nil, addSpecialTokens: true)
        XCTAssertEqual(e.offsets, [1..<6, 7..<7, 7..<12])
    }

    func testDecoders() throws {
        XCTAssertEqual(ByteFallbackDecoder().decode(["a", "<0xC3>", "<0xA9>", "b"]), "aéb")
        XCTAssertEqual(ByteFallbackDecoder().decode(["a", "<0xC3>", "<0xA9>", "<0xFF>", "b"]),
                       "a\u{FFFD}\u{FFFD}\u{FFFD}b", "an invalid run is one U+FFFD per byte")
        XCTAssertEqual(BPEDecoder().decode(["hel", "lo</w>", "world</w>"]), "hello world")
        XCTAssertEqual(StripDecoder(content: " ", start: 1, stop: 0).decode(["  a "]), " a ")
        let llama = DecoderSequence([try ReplaceDecoder(.string("▁"), with: " "), ByteFallbackDecoder(), FuseDecoder(),
                                     StripDecoder(content: " ", start: 1, stop: 0)])
        XCTAssertEqual(llama.decode(["▁Hi", "▁", "<0xF0>", "<0x9F>", "<0x98>", "<0x80>"]), "Hi 😀")
    }

    func testPrecompiledRejectsWhatIsNotACharsmap() {
        XCTAssertThrowsError(try Precompiled(charsmap: [1, 0, 0, 0])) { error in
            guard case .invalidValue = error as? TokenizerError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try Precompiled(base64: "not base64!"))
    }
}
