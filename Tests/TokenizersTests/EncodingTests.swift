import Tokenizers
import XCTest

final class EncodingTests: XCTestCase {
    func testSpecialTokensAndTypeIds() throws {
        let tokenizer = try TinyTokenizer.make()
        let e = tokenizer.encode("hello world", pair: "the cat")
        XCTAssertEqual(e.tokens, ["[CLS]", "hello", "world", "[SEP]", "the", "cat", "[SEP]"])
        XCTAssertEqual(e.typeIds, [0, 0, 0, 0, 1, 1, 1])
        XCTAssertEqual(e.specialTokensMask, [1, 0, 0, 1, 0, 0, 1])
        XCTAssertEqual(e.attentionMask, [1, 1, 1, 1, 1, 1, 1])
        XCTAssertEqual(e.wordIds, [nil, 0, 1, nil, 0, 1, nil])
        XCTAssertEqual(e.sequenceIds, [nil, 0, 0, nil, 1, 1, nil])
        XCTAssertEqual(e.offsets, [0..<0, 0..<5, 6..<11, 0..<0, 0..<3, 4..<7, 0..<0])
    }

    func testSpecialTokenTextIsMatchedBeforeNormalization() throws {
        let tokenizer = try TinyTokenizer.make()
        let e = tokenizer.encode("hello [MASK] world [mask]", addSpecialTokens: false)
        XCTAssertEqual(e.tokens, ["hello", "[MASK]", "world", "[UNK]", "[UNK]", "[UNK]"])
        XCTAssertEqual(e.offsets[1], 6..<12)
        XCTAssertEqual(e.specialTokensMask, [0, 0, 0, 0, 0, 0])
    }

    func testEmptyText() throws {
        let tokenizer = try TinyTokenizer.make()
        XCTAssertEqual(tokenizer.encode("").tokens, ["[CLS]", "[SEP]"])
        XCTAssertEqual(tokenizer.encode(" \t\n", addSpecialTokens: false).count, 0)
    }

    func testInvalidUTF8BecomesReplacementCharacters() throws {
        let tokenizer = try TinyTokenizer.make()
        // "hi" U+FFFD " a": the replacement scalar counts in offsets, then clean_text removes it.
        let bytes: [UInt8] = [0x61, 0xFF, 0x20, 0x61, 0xC3]
        let e = tokenizer.encode(bytes: bytes, addSpecialTokens: false)
        XCTAssertEqual(e.tokens, ["a", "a"])
        XCTAssertEqual(e.offsets, [0..<1, 3..<4])
        XCTAssertEqual(String(decoding: bytes, as: UTF8.self).unicodeScalars.map(\.value), [0x61, 0xFFFD, 0x20, 0x61, 0xFFFD])
    }

    func testTokenizerIsSendable() throws {
        let tokenizer: any Sendable = try TinyTokenizer.make()
        XCTAssertNotNil(tokenizer)
    }
}
