import Tokenizers
import XCTest

final class TruncationPaddingTests: XCTestCase {
    private let first = "the cat sat on the mat"   // 6 tokens
    private let second = "hello world"             // 2 tokens

    private func tokenizer(_ truncation: Truncation?, _ padding: Padding? = nil) throws -> Tokenizer {
        var t = try TinyTokenizer.make()
        t.truncation = truncation
        t.padding = padding
        return t
    }

    func testLongestFirstTakesFromTheLongerSequence() throws {
        let t = try tokenizer(Truncation(maxLength: 8))
        let e = t.encode(first, pair: second)
        XCTAssertEqual(e.tokens, ["[CLS]", "the", "cat", "sat", "[SEP]", "hello", "world", "[SEP]"])
    }

    func testOnlyFirstAndOnlySecond() throws {
        let onlyFirst = try tokenizer(Truncation(maxLength: 7, strategy: .onlyFirst)).encode(first, pair: second)
        XCTAssertEqual(onlyFirst.tokens, ["[CLS]", "the", "cat", "[SEP]", "hello", "world", "[SEP]"])
        let onlySecond = try tokenizer(Truncation(maxLength: 10, strategy: .onlySecond)).encode(first, pair: second)
        XCTAssertEqual(onlySecond.tokens, ["[CLS]", "the", "cat", "sat", "on", "the", "mat", "[SEP]", "hello", "[SEP]"])
    }

    func testLeftTruncationKeepsTheEnd() throws {
        let e = try tokenizer(Truncation(maxLength: 4, direction: .left)).encode(first)
        XCTAssertEqual(e.tokens, ["[CLS]", "the", "mat", "[SEP]"])
    }

    func testImpossibleStrategyFallsBackToLongestFirst() throws {
        // tokenizers raises here; BertKit keeps the length limit.
        let e = try tokenizer(Truncation(maxLength: 4, strategy: .onlySecond)).encode(first)
        XCTAssertEqual(e.tokens, ["[CLS]", "the", "cat", "[SEP]"])
        let p = try tokenizer(Truncation(maxLength: 6, strategy: .onlySecond)).encode(first, pair: second)
        XCTAssertEqual(p.count, 6)
    }

    func testLimitBelowTheSpecialTokensDisablesTruncationAsInTokenizers() throws {
        let e = try tokenizer(Truncation(maxLength: 1)).encode(second)
        XCTAssertEqual(e.tokens, ["[CLS]", "hello", "world", "[SEP]"])
    }

    func testPaddingToLongestFixedAndMultiple() throws {
        let longest = try tokenizer(nil, Padding()).encodeBatch([first, second])
        XCTAssertEqual(longest.map(\.count), [8, 8])
        XCTAssertEqual(longest[1].tokens, ["[CLS]", "hello", "world", "[SEP]", "[PAD]", "[PAD]", "[PAD]", "[PAD]"])
        XCTAssertEqual(longest[1].attentionMask, [1, 1, 1, 1, 0, 0, 0, 0])
        XCTAssertEqual(longest[1].specialTokensMask, [1, 0, 0, 1, 1, 1, 1, 1])
        XCTAssertEqual(longest[1].wordIds, [nil, 0, 1, nil, nil, nil, nil, nil])
        XCTAssertEqual(longest[1].offsets.last, 0..<0)

        let fixed = try tokenizer(nil, Padding(length: .fixed(6), direction: .left)).encode(second)
        XCTAssertEqual(fixed.ids, [0, 0, 2, 5, 6, 3])
        XCTAssertEqual(fixed.sequenceIds, [nil, nil, nil, 0, 0, nil])

        let multiple = try tokenizer(nil, Padding(multipleOf: 8)).encodeBatch([second])
        XCTAssertEqual(multiple[0].count, 8)
    }

    func testTruncateThenPadGivesOneShape() throws {
        let t = try tokenizer(Truncation(maxLength: 5), Padding(length: .fixed(5)))
        let batch = t.encodeBatch([first, second, ""])
        XCTAssertEqual(batch.map(\.count), [5, 5, 5])
        XCTAssertEqual(t.encodeBatch(pairs: [(first, second)])[0].count, 5)
    }
}
