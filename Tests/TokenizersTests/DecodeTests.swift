import Tokenizers
import XCTest

final class DecodeTests: XCTestCase {
    func testDecodeJoinsPiecesAndSkipsSpecialTokens() throws {
        let tokenizer = try TinyTokenizer.make()
        let ids = tokenizer.encode("Hello worlds!").ids
        XCTAssertEqual(tokenizer.decode(ids), "hello worlds!")
        XCTAssertEqual(tokenizer.decode(ids, skipSpecialTokens: false), "[CLS] hello worlds! [SEP]")
        XCTAssertEqual(tokenizer.decode([5, 999, 6]), "hello world", "unknown ids are skipped")
        XCTAssertEqual(tokenizer.decode([]), "")
    }

    func testWordPieceDecoderCleansUpTokenByToken() {
        let decoder = WordPieceDecoder()
        XCTAssertEqual(decoder.decode(["don", "'", "t", "stop", ".", "##s"]), "don ' t stop.s")
        XCTAssertEqual(decoder.decode(["##a", "##b"]), "##ab", "the first token keeps its prefix")
        XCTAssertEqual(WordPieceDecoder(cleanup: false).decode(["a", ",", "b"]), "a , b")
    }
}
