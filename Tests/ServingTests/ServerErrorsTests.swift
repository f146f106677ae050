import BertKit
import Foundation
import Hummingbird
import HummingbirdTesting
import Serving
import XCTest

/// Each error status the server answers with, and its body's shape.
/// OpenAI's error object: `{"error": {"message", "type", "param", "code"}}`.
func assertOpenAIError(_ response: TestResponse, _ status: HTTPResponse.Status, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(response.status, status, response.text, file: file, line: line)
        let error = (response.json as? [String: Any])?["error"] as? [String: Any]
        XCTAssertNotNil(error?["message"] as? String, response.text, file: file, line: line)
        XCTAssertNotNil(error?["type"] as? String, response.text, file: file, line: line)
        XCTAssertTrue(error?.keys.contains("param") ?? false, response.text, file: file, line: line)
        XCTAssertTrue(error?.keys.contains("code") ?? false, response.text, file: file, line: line)
    }

    /// TEI's error object: `{"error": "…", "error_type": "…"}`.
func assertTEIError(_ response: TestResponse, _ status: HTTPResponse.Status, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(response.status, status, response.text, file: file, line: line)
        let object = response.json as? [String: Any]
        XCTAssertNotNil(object?["error"] as? String, response.text, file: file, line: line)
        XCTAssertNotNil(object?["error_type"] as? String, response.text, file: file, line: line)
}

func assertStatus(_ response: TestResponse, _ status: HTTPResponse.Status, _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(response.status, status, "\(message) \(response.text)", file: file, line: line)
}

final class ServerErrorsTests: XCTestCase {

    func testBadInputOnOpenAIRoute() async throws {
        let server = try ServingFixtures.server(try ServingFixtures.embedder())
        try await server.application().test(.router) { client in
            assertOpenAIError(try await client.post("/v1/embeddings", #"{"input": ["good""#), .badRequest)      // malformed JSON
            assertOpenAIError(try await client.post("/v1/embeddings", #"["good"]"#), .badRequest)                // not an object
            assertOpenAIError(try await client.post("/v1/embeddings", #"{"model": "m"}"#), .badRequest)         // no input
            assertOpenAIError(try await client.post("/v1/embeddings", #"{"input": 42}"#), .badRequest)          // wrong type
            assertOpenAIError(try await client.post("/v1/embeddings", #"{"input": ["good", 4.5]}"#), .badRequest)
            assertOpenAIError(try await client.post("/v1/embeddings", #"{"input": []}"#), .badRequest)          // empty
            assertOpenAIError(try await client.post("/v1/embeddings", #"{"input": ""}"#), .badRequest)
            assertOpenAIError(try await client.post("/v1/embeddings", #"{"input": "good", "encoding_format": "int8"}"#), .badRequest)
            assertOpenAIError(try await client.post("/v1/embeddings", #"{"input": [2, 500, 3]}"#), .badRequest) // id outside the vocabulary
            // Over the 64 positions of the tiny model: refused, unless truncate is set.
            let long = Array(repeating: "good", count: 80).joined(separator: " ")
            assertOpenAIError(try await client.post("/v1/embeddings", #"{"input": "\#(long)"}"#), .badRequest)
            let truncated = try await client.post("/v1/embeddings", #"{"input": "\#(long)", "truncate": true}"#)
            XCTAssertEqual(truncated.status, .ok)
            XCTAssertEqual(((truncated.json as? [String: Any])?["usage"] as? [String: Int])?["prompt_tokens"], 64)
        }
    }

    func testBadInputOnTEIRoutes() async throws {
        let server = try ServingFixtures.server(try ServingFixtures.classifier())
        try await server.application().test(.router) { client in
            assertTEIError(try await client.post("/embed", "{inputs: good}"), .badRequest)                    // malformed JSON
            assertTEIError(try await client.post("/embed", #"{"inputs": {"text": "good"}}"#), .unprocessableContent)
            assertTEIError(try await client.post("/embed", #"{"inputs": "good", "normalize": "yes"}"#), .unprocessableContent)
            assertTEIError(try await client.post("/embed", #"{"inputs": []}"#), .unprocessableContent)
            assertTEIError(try await client.post("/embed", #"{"text": "good"}"#), .unprocessableContent)
            let long = Array(repeating: "good", count: 80).joined(separator: " ")
            assertTEIError(try await client.post("/embed", #"{"inputs": ["good", "\#(long)"], "truncate": false}"#), .unprocessableContent)
            assertStatus(try await client.post("/embed", #"{"inputs": ["good", "\#(long)"], "truncate": true}"#), .ok)
            // The classifier's own max length is 16.
            let medium = Array(repeating: "good", count: 20).joined(separator: " ")
            assertTEIError(try await client.post("/predict", #"{"inputs": "\#(medium)"}"#), .unprocessableContent)
            assertStatus(try await client.post("/predict", #"{"inputs": "\#(medium)", "truncate": true}"#), .ok)
            assertTEIError(try await client.post("/predict", #"{"inputs": [["a", "b", "c"]]}"#), .unprocessableContent)
            assertTEIError(try await client.post("/predict", #"{"inputs": 1}"#), .unprocessableContent)
            assertTEIError(try await client.post("/tokenize", #"{"inputs": [1, 2]}"#), .unprocessableContent)
            // JSONDecoder alone traps on this body (nesting that ends with the text at its limit).
            assertTEIError(try await client.post("/embed", String(repeating: "[", count: 513)), .badRequest)
            assertTEIError(try await client.post("/embed", #"{"inputs": "good", "truncate": 1}"#), .unprocessableContent)
            assertStatus(try await client.post("/embed", #"{"inputs": [[2, 5]], "normalize": false, "truncate": null}"#), .ok)
        }
    }

    func testPredictWithoutClassifier() async throws {
        let server = try ServingFixtures.server(try ServingFixtures.embedder())
        try await server.application().test(.router) { client in
            assertTEIError(try await client.post("/predict", #"{"inputs": "good"}"#), .unprocessableContent)
        }
    }

    func testBodyLimit() async throws {
        let server = try ServingFixtures.server(try ServingFixtures.embedder(), settings: ServeSettings(maxBodyBytes: 1000))
        try await server.application().test(.router) { client in
            let big = Array(repeating: "\"good\"", count: 300).joined(separator: ",")
            assertOpenAIError(try await client.post("/v1/embeddings", #"{"input": [\#(big)]}"#), .contentTooLarge)
            assertTEIError(try await client.post("/embed", #"{"inputs": [\#(big)]}"#), .contentTooLarge)
            assertStatus(try await client.post("/embed", #"{"inputs": ["good"]}"#), .ok)
        }
    }

    func testTooManyInputs() async throws {
        let server = try ServingFixtures.server(try ServingFixtures.embedder(), settings: ServeSettings(maxInputsPerRequest: 2))
        try await server.application().test(.router) { client in
            assertOpenAIError(try await client.post("/v1/embeddings", #"{"input": ["a", "b", "c"]}"#), .badRequest)
            assertTEIError(try await client.post("/embed", #"{"inputs": ["a", "b", "c"]}"#), .unprocessableContent)
        }
    }

    func testAPIKeys() async throws {
        let server = try ServingFixtures.server(try ServingFixtures.embedder(), settings: ServeSettings(apiKeys: APIKeys(["s3cret", "other-key"])))
        try await server.application().test(.router) { client in
            let body = #"{"input": "good"}"#
            let none = try await client.post("/v1/embeddings", body)
            assertOpenAIError(none, .unauthorized)
            XCTAssertEqual(none.headers[.wwwAuthenticate], "Bearer")
            assertOpenAIError(try await client.post("/v1/embeddings", body, headers: [.authorization: "Bearer s3cre"]), .unauthorized)
            assertOpenAIError(try await client.post("/v1/embeddings", body, headers: [.authorization: "Bearer s3cret2"]), .unauthorized)
            assertOpenAIError(try await client.post("/v1/embeddings", body, headers: [.authorization: "s3cret"]), .unauthorized)
            assertTEIError(try await client.post("/embed", #"{"inputs": "good"}"#), .unauthorized)
            assertStatus(try await client.post("/v1/embeddings", body, headers: [.authorization: "Bearer s3cret"]), .ok)
            assertStatus(try await client.post("/v1/embeddings", body, headers: [.authorization: "Bearer other-key"]), .ok)
            assertStatus(try await client.get("/info", headers: [.authorization: "Bearer s3cret"]), .ok)
            assertStatus(try await client.get("/info"), .unauthorized)
            assertStatus(try await client.get("/health"), .ok, "probes need no key")
        }
    }

    func testConstantTimeComparison() {
        let keys = APIKeys(["abc"])
        XCTAssertTrue(keys.accepts(authorization: "Bearer abc"))
        XCTAssertTrue(keys.accepts(authorization: "bearer abc"))
        for wrong in [nil, "", "Bearer ", "Bearer ab", "Bearer abcd", "Bearer abd", "Bearer \0bc", "Basic abc"] {
            XCTAssertFalse(keys.accepts(authorization: wrong), "\(wrong ?? "nil")")
        }
        XCTAssertTrue(APIKeys([]).accepts(authorization: nil))
    }

    /// With the worker held by a long wait, a second request finds the queue full: 503 with
    /// Retry-After, answered at once; the first still gets its 200.
    func testFullQueueIs503AtOnce() async throws {
        let settings = ServeSettings(batching: .init(maxBatchTokens: 100_000, maxWait: .milliseconds(1500), capacity: 1))
        let server = try ServingFixtures.server(try ServingFixtures.embedder(), settings: settings)
        try await server.application().test(.router) { client in
            async let first = client.post("/embed", #"{"inputs": "the film was good"}"#)
            try await waitUntil("the first request queued") { server.queue.depth > 0 }
            let start = ContinuousClock.now
            let refused = try await client.post("/v1/embeddings", #"{"input": "bad"}"#)
            XCTAssertLessThan(ContinuousClock.now - start, .milliseconds(500))
            assertOpenAIError(refused, .serviceUnavailable)
            XCTAssertEqual(refused.headers[.retryAfter], "1")
            let refusedTEI = try await client.post("/embed", #"{"inputs": "bad"}"#)
            assertTEIError(refusedTEI, .serviceUnavailable)
            let firstResponse = try await first
            assertStatus(firstResponse, .ok)
            let metrics = try await client.get("/metrics")
            XCTAssertTrue(metrics.text.contains(#"bertkit_requests_total{route="/embed",status="503"} 1"#))
        }
    }
}
