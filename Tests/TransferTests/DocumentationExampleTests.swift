import BertKit
import Foundation
import TestSupport
import XCTest

/// The examples of the README and the DocC articles (Sources/BertKit/BertKit.docc), run as written.
final class DocumentationExampleTests: XCTestCase {
    /// The seed's example: "Hello, my dog is cute" → last hidden states of shape [1, 8, 384].
    func testHelloMyDogIsCute() throws {
        let folder = try TestPaths.demoModel().path
        let tokenizer = try Tokenizer.load(folder)
        let model = try EncoderModel.load(folder)
        let ids = tokenizer.encode("Hello, my dog is cute", addSpecialTokens: true)
        let lastHiddenStates = try model(ids).lastHiddenState
        XCTAssertEqual(lastHiddenStates.shape, [1, 8, 384])
        XCTAssertEqual(ids.tokens, ["[CLS]", "hello", ",", "my", "dog", "is", "cute", "[SEP]"])
        XCTAssertEqual(ids.offsets[4], 10..<13, "\"dog\" in the original string")
    }

    /// A padded batch with skipsPadding: every real position as the sequence alone gives it.
    func testBatchOfTextsSkippingPadding() throws {
        let folder = try TestPaths.demoModel().path
        let tokenizer = try Tokenizer.load(folder)
        let model = try EncoderModel.load(folder)
        let texts = ["A cat sits.", "A dog runs across the park after a red ball."]
        let encodings = tokenizer.encodeBatch(texts)
        var input = EncoderInput(encodings: encodings, padId: tokenizer.padTokenId ?? 0)
        input.skipsPadding = true
        let hidden = try model(input, context: .inference).lastHiddenState
        XCTAssertEqual(hidden.shape, [2, encodings[1].count, 384])
        let alone = try model(encodings[0]).lastHiddenState
        let first = Array(hidden.scalars[0..<(encodings[0].count * 384)])
        assertClose(first, alone.scalars, tolerance: 1e-4, "the short text inside the batch and alone")
    }
}
