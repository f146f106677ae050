import BertKit
import Foundation
import Hummingbird
import HummingbirdTesting
import Serving
import XCTest

/// Each route's happy path, in process, against the tiny model.
final class ServerRoutesTests: XCTestCase {
    func testOpenAIEmbeddings() async throws {
        let server = try ServingFixtures.server(try ServingFixtures.embedder())
        try await server.application().test(.router) { client in
            let one = try await client.post("/v1/embeddings", #"{"model": "tiny", "input": "the film was good"}"#)
            XCTAssertEqual(one.status, .ok)
            let object = try XCTUnwrap(one.json as? [String: Any])
            XCTAssertEqual(object["object"] as? String, "list")
            XCTAssertEqual(object["model"] as? String, "tiny")
            let usage = try XCTUnwrap(object["usage"] as? [String: Int])
            XCTAssertEqual(usage["prompt_tokens"], 6)   // [CLS] the film was good [SEP]
            XCTAssertEqual(usage["total_tokens"], 6)
            XCTAssertEqual(openAIVectors(one).map(\.count), [32])

            let texts = ["the film was good", "bad food", "the service was not really very nice"]
            let many = try await client.post("/v1/embeddings", #"{"input": ["the film was good", "bad food", "the service was not really very nice"]}"#)
            XCTAssertEqual(many.status, .ok)
            let data = try XCTUnwrap((many.json as? [String: Any])?["data"] as? [[String: Any]])
            XCTAssertEqual(data.map { $0["index"] as? Int }, [0, 1, 2])
            let floats = openAIVectors(many)
            // The same as the library's embeddings of the same texts (no normalization: the tiny model has no settings).
            let expected = server.model.tokenizer.encodeBatch(texts).count
            XCTAssertEqual(expected, 3)
            XCTAssertEqual(floats[0], openAIVectors(one)[0], "a text's vector does not depend on its batch")

            let b64 = try await client.post("/v1/embeddings", #"{"input": ["the film was good", "bad food", "the service was not really very nice"], "encoding_format": "base64"}"#)
            XCTAssertEqual(b64.status, .ok)
            XCTAssertEqual(openAIVectors(b64), floats)

            // Token ids: the /tokenize ids of a text give its vector.
            let ids = try await client.post("/v1/embeddings", #"{"input": [2, 15, 16, 18, 5, 3]}"#)
            XCTAssertEqual(ids.status, .ok, ids.text)
            XCTAssertEqual(openAIVectors(ids), [floats[0]])
            let idLists = try await client.post("/v1/embeddings", #"{"input": [[2, 15, 16, 18, 5, 3], [2, 10, 17, 3]]}"#)
            XCTAssertEqual(idLists.status, .ok, idLists.text)
            XCTAssertEqual(openAIVectors(idLists).first, floats[0])
        }
    }

    func testTEIEmbed() async throws {
        let server = try ServingFixtures.server(try ServingFixtures.embedder())
        try await server.application().test(.router) { client in
            let normalized = try await client.post("/embed", #"{"inputs": ["the film was good", "bad"]}"#)
            XCTAssertEqual(normalized.status, .ok)
            let vectors = try XCTUnwrap(normalized.json as? [[Double]])
            XCTAssertEqual(vectors.count, 2)
            for v in vectors { XCTAssertEqual(v.reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-5) }
            let raw = try await client.post("/embed", #"{"inputs": "the film was good", "normalize": false}"#)
            let rawVector = try XCTUnwrap((raw.json as? [[Double]])?.first)
            let norm = rawVector.reduce(0) { $0 + $1 * $1 }.squareRoot()
            XCTAssertNotEqual(norm, 1, accuracy: 1e-3)
            for (a, b) in zip(rawVector.map { $0 / norm }, vectors[0]) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        }
    }

    func testPredictSingleAndBatch() async throws {
        let server = try ServingFixtures.server(try ServingFixtures.classifier())
        try await server.application().test(.router) { client in
            let single = try await client.post("/predict", #"{"inputs": "the film was good"}"#)
            XCTAssertEqual(single.status, .ok, single.text)
            let scores = try XCTUnwrap(single.json as? [[String: Any]])
            XCTAssertEqual(Set(scores.compactMap { $0["label"] as? String }), ["negative", "positive"])
            let p = scores.compactMap { ($0["score"] as? NSNumber)?.doubleValue }
            XCTAssertEqual(p.reduce(0, +), 1, accuracy: 1e-5)
            XCTAssertGreaterThanOrEqual(p[0], p[1], "sorted by score, as TEI")

            let batch = try await client.post("/predict", #"{"inputs": [["the film was good"], ["bad food"], ["awful", "the service"]]}"#)
            XCTAssertEqual(batch.status, .ok, batch.text)
            let answers = try XCTUnwrap(batch.json as? [[[String: Any]]])
            XCTAssertEqual(answers.count, 3)
            XCTAssertEqual(answers[0].map { $0["label"] as? String }, scores.map { $0["label"] as? String },
                           "a text's prediction does not depend on its batch")

            // The same numbers as the library path `bertkit predict` uses.
            let (model, maxLength) = try TransferModel.load(try ServingFixtures.classifier())
            let tokenizer = try Tokenizer.load(directory: try ServingFixtures.classifier())
            let expected = try Evaluator(model: model).predict(PreparedData.unlabelled(["the film was good"], tokenizer: tokenizer, maxLength: maxLength))
            let positive = try XCTUnwrap(scores.first { $0["label"] as? String == "positive" }?["score"] as? NSNumber)
            XCTAssertEqual(positive.floatValue, expected[0].probabilities[1], accuracy: 1e-6)

            let raw = try await client.post("/predict", #"{"inputs": "the film was good", "raw_scores": true}"#)
            let logits = try XCTUnwrap(raw.json as? [[String: Any]])
            let positiveLogit = try XCTUnwrap(logits.first { $0["label"] as? String == "positive" }?["score"] as? NSNumber)
            XCTAssertEqual(positiveLogit.floatValue, expected[0].logits[0]![1], accuracy: 1e-5)
        }
    }

    /// `/predict` runs in pieces of at most `--max-batch-tokens` padded tokens; the answers are
    /// those of one whole batch, in request order.
    func testPredictInTokenBudgetedPieces() throws {
        let model = try ServedModel(model: try ServingFixtures.classifier().path)
        let texts = ["the film was good", "bad", "awful food and the service was poor", "nice", "the film", "not really great"]
        let encodings = texts.map { model.classifierTokenizer!.encode($0) }
        let whole = try model.run(encodings, kind: .predict, maxBatchTokens: 1 << 20)
        let pieces = try model.run(encodings, kind: .predict, maxBatchTokens: 8)
        XCTAssertEqual(whole.count, texts.count)
        for (a, b) in zip(whole, pieces) {
            guard case .prediction(let p) = a, case .prediction(let q) = b else { return XCTFail("not predictions") }
            for (x, y) in zip(p.probabilities, q.probabilities) { XCTAssertEqual(x, y, accuracy: 1e-5) }
        }
    }

    func testTokenize() async throws {
        let server = try ServingFixtures.server(try ServingFixtures.embedder())
        try await server.application().test(.router) { client in
            let response = try await client.post("/tokenize", #"{"inputs": "the film was good"}"#)
            XCTAssertEqual(response.status, .ok)
            let tokens = try XCTUnwrap((response.json as? [[[String: Any]]])?.first)
            XCTAssertEqual(tokens.compactMap { $0["id"] as? Int }, [2, 15, 16, 18, 5, 3])
            XCTAssertEqual(tokens.compactMap { $0["text"] as? String }, ["[CLS]", "the", "film", "was", "good", "[SEP]"])
            XCTAssertEqual(tokens.map { $0["special"] as? Bool }, [true, false, false, false, false, true])
            XCTAssertEqual(tokens[2]["start"] as? Int, 4)
            XCTAssertEqual(tokens[2]["stop"] as? Int, 8)
            let plain = try await client.post("/tokenize", #"{"inputs": ["good", "bad"], "add_special_tokens": false}"#)
            XCTAssertEqual((plain.json as? [[[String: Any]]])?.map { $0.compactMap { $0["id"] as? Int } }, [[5], [10]])
        }
    }

    func testHealthInfoAndMetrics() async throws {
        let server = try ServingFixtures.server(try ServingFixtures.classifier())
        try await server.application().test(.router) { client in
            let health = try await client.get("/health")
            XCTAssertEqual(health.status, .ok)
            let infoResponse = try await client.get("/info")
            let info = try XCTUnwrap(infoResponse.json as? [String: Any])
            XCTAssertEqual(info["family"] as? String, "bert")
            XCTAssertEqual(info["dimension"] as? Int, 32)
            XCTAssertEqual(info["max_input_length"] as? Int, 64)
            XCTAssertEqual(info["precision"] as? String, "fp32")
            XCTAssertTrue((info["backend"] as? String ?? "").hasPrefix("cpu"))
            XCTAssertEqual(info["tasks"] as? [String], ["embed", "predict"])
            XCTAssertEqual(info["labels"] as? [String], ["negative", "positive"])

            _ = try await client.post("/embed", #"{"inputs": ["good", "the film was bad"]}"#)
            _ = try await client.post("/embed", #"{"inputs": 3}"#)
            let metrics = try await client.get("/metrics")
            XCTAssertEqual(metrics.status, .ok)
            let text = metrics.text
            for line in [#"bertkit_requests_total{route="/embed",status="200"} 1"#, #"bertkit_requests_total{route="/embed",status="422"} 1"#,
                         #"bertkit_requests_total{route="/info",status="200"} 1"#, "bertkit_batch_size_count 1", "bertkit_batch_size_sum 2",
                         "bertkit_tokens_total 9", "# TYPE bertkit_request_duration_seconds histogram", "# TYPE bertkit_queue_depth gauge",
                         "# TYPE bertkit_tokens_per_second gauge"] {
                XCTAssertTrue(text.contains(line), "missing \(line) in\n\(text)")
            }
        }
    }
}
