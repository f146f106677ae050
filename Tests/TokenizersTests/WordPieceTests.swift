import Tokenizers
import XCTest

final class WordPieceTests: XCTestCase {
    func testGreedyLongestMatchFirst() throws {
        let tokenizer = try TinyTokenizer.make()
        XCTAssertEqual(tokenizer.tokenize("unaffable hellos"), ["un", "##aff", "##able", "hello", "##s"])
        XCTAssertEqual(tokenizer.encode("unaffable", addSpecialTokens: false).offsets, [0..<2, 2..<5, 5..<9])
    }

    func testWordThatCannotBeCutIsOneUnknownToken() throws {
        let tokenizer = try TinyTokenizer.make()
        let encoding = tokenizer.encode("hello unx world", addSpecialTokens: false)
        XCTAssertEqual(encoding.tokens, ["hello", "[UNK]", "world"])
        XCTAssertEqual(encoding.offsets, [0..<5, 6..<9, 10..<15])
        XCTAssertEqual(encoding.wordIds, [0, 1, 2])
    }

    func testWordsLongerThanTheLimitBecomeUnknown() throws {
        let tokenizer = try TinyTokenizer.make(maxInputCharsPerWord: 5)
        // "aaaaa" is 5 scalars: tokenized; "aaaaaa" is 6: one [UNK] over the whole word.
        XCTAssertEqual(tokenizer.tokenize("aaaaa"), ["a", "##a", "##a", "##a", "##a"])
        let long = tokenizer.encode("aaaaaa hello", addSpecialTokens: false)
        XCTAssertEqual(long.tokens, ["[UNK]", "hello"])
        XCTAssertEqual(long.offsets, [0..<6, 7..<12])

        let standard = try TinyTokenizer.make()
        XCTAssertEqual(standard.tokenize(String(repeating: "a", count: 100)).count, 100)
        XCTAssertEqual(standard.tokenize(String(repeating: "a", count: 101)), ["[UNK]"])
    }

    func testUnknownTokenMustBeInTheVocabulary() {
        XCTAssertThrowsError(try WordPiece(vocabulary: ["a": 0], unknownToken: "[UNK]")) { error in
            XCTAssertEqual(error as? TokenizerError,
                           .unknownToken(file: "WordPiece", path: "model.unk_token", token: "[UNK]"))
        }
    }

    func testVocabularyLookups() throws {
        let tokenizer = try TinyTokenizer.make()
        XCTAssertEqual(tokenizer.tokenToId("hello"), 5)
        XCTAssertEqual(tokenizer.idToToken(6), "world")
        XCTAssertNil(tokenizer.tokenToId("nope"))
        XCTAssertNil(tokenizer.idToToken(999))
        XCTAssertEqual(tokenizer.vocabularySize(), TinyTokenizer.tokens.count)
        XCTAssertEqual(tokenizer.clsTokenId, 2)
        XCTAssertEqual(tokenizer.sepTokenId, 3)
        XCTAssertEqual(tokenizer.padTokenId, 0)
        XCTAssertEqual(tokenizer.unkTokenId, 1)
        XCTAssertEqual(tokenizer.maskTokenId, 4)
    }
}
