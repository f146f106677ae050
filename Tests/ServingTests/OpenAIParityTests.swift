import Foundation
import Hummingbird
import HummingbirdTesting
import Serving
import TestSupport
import XCTest

/// The payloads `scripts/serve/openai_parity.py` sends with the official `openai` client, sent over
/// HTTP to an in-process server with all-MiniLM-L6-v2: every vector within 1e-5 of
/// sentence-transformers' normalized embedding (fixture made by scripts/fixtures/serve_fixtures.py).
final class OpenAIParityTests: XCTestCase {
    struct Fixture: Decodable {
        var model: String
        var payloads: [[String]]
        var embeddings: [String: [Float]]
    }

    func testOpenAIRouteMatchesSentenceTransformers() async throws {
        guard let folder = TestPaths.miniLM else { throw XCTSkip("all-MiniLM-L6-v2 is not installed") }
        let url = TestPaths.packageRoot.appending(path: "Tests/ServingTests/Fixtures/openai-parity.json")
        let fixture = try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
        let server = EmbeddingServer(model: try ServedModel(model: folder.path), settings: ServeSettings())
        try await server.application().test(.router) { client in
            var worst: Float = 0
            for payload in fixture.payloads {
                let input = String(decoding: try JSONEncoder().encode(payload), as: UTF8.self)
                for format in ["base64", "float"] {
                    // What the openai client sends: model, input and (by default) encoding_format base64.
                    let response = try await client.post("/v1/embeddings", #"{"model": "\#(fixture.model)", "input": \#(input), "encoding_format": "\#(format)"}"#)
                    XCTAssertEqual(response.status, .ok, response.text)
                    let vectors = openAIVectors(response)
                    XCTAssertEqual(vectors.count, payload.count)
                    for (text, vector) in zip(payload, vectors) {
                        let expected = try XCTUnwrap(fixture.embeddings[text])
                        XCTAssertEqual(vector.count, expected.count)
                        worst = max(worst, zip(vector, expected).map { abs($0 - $1) }.max() ?? .infinity)
                    }
                }
            }
            XCTAssertLessThanOrEqual(worst, 1e-5)
            print("OpenAI route vs sentence-transformers: max |diff| = \(worst)")
        }
    }
}
