import BertKit
import Foundation
import Hummingbird
import HummingbirdTesting
import Serving
import TestSupport
import XCTest

/// `POST /answer` with a question-answering folder: the answers `Evaluator` gives, and 422 for bad input.
final class AnswerRouteTests: XCTestCase {
    /// The transformers QA fixture (BertForQuestionAnswering), served as it is.
    let folder = TestPaths.packageRoot.appending(path: "Tests/TransferTests/Fixtures/qa/bert")

    func testAnswersAsTheLibraryDoes() async throws {
        let server = try ServingFixtures.server(folder)
        let (model, maxLength) = try TransferModel.load(folder)
        let tokenizer = try Tokenizer.load(directory: folder)
        let questions = [("what was good", "the film was good and the food was bad"), ("is the service nice", "the service is very nice")]
        let expected = try Evaluator(model: model).answer(questions.map { QuestionExample(id: $0.0, question: $0.0, context: $0.1) },
                                                          tokenizer: tokenizer, settings: WindowSettings(maxLength: maxLength, docStride: model.head.docStride!))
        try await server.application().test(.router) { client in
            let one = try await client.post("/answer", #"{"inputs": {"question": "what was good", "context": "the film was good and the food was bad"}}"#)
            XCTAssertEqual(one.status, .ok, one.text)
            let object = try XCTUnwrap(one.json as? [String: Any])
            XCTAssertEqual(object["answer"] as? String, expected[0].text)
            XCTAssertEqual(object["start"] as? Int, expected[0].start)
            XCTAssertEqual(object["end"] as? Int, expected[0].end)
            XCTAssertEqual((object["score"] as? NSNumber)?.floatValue ?? -1, expected[0].score, accuracy: 1e-6)

            let many = try await client.post("/answer", #"{"inputs": [{"question": "what was good", "context": "the film was good and the food was bad"}, {"question": "is the service nice", "context": "the service is very nice"}]}"#)
            XCTAssertEqual(many.status, .ok, many.text)
            let answers = try XCTUnwrap(many.json as? [[String: Any]])
            XCTAssertEqual(answers.map { $0["answer"] as? String }, expected.map(\.text))

            let empty = try await client.post("/answer", #"{"inputs": {"question": "what", "context": " "}}"#)
            XCTAssertEqual(empty.status, .unprocessableContent, empty.text)
            XCTAssertTrue(empty.text.contains("the context is empty"), empty.text)
            let shape = try await client.post("/answer", #"{"inputs": "what"}"#)
            XCTAssertEqual(shape.status, .unprocessableContent, shape.text)
        }
    }

    func testRefusedWithoutAQuestionAnsweringHead() async throws {
        let server = try ServingFixtures.server(try ServingFixtures.classifier())
        try await server.application().test(.router) { client in
            let response = try await client.post("/answer", #"{"inputs": {"question": "what", "context": "the film"}}"#)
            XCTAssertEqual(response.status, .unprocessableContent, response.text)
            XCTAssertTrue(response.text.contains("no question-answering head"), response.text)
        }
    }
}
