import BertKit
import Foundation
import TestSupport
import XCTest

/// `SentenceEmbedder`, the library's front door, against sentence-transformers' `encode` on the same texts
/// (Fixtures/embedder, written by scripts/fixtures/golden_fixtures.py): the demo model (mean pooling, Normalize,
/// one text past its 256-token limit) and a tiny model saved by sentence-transformers 6 (max pooling, a
/// 12-token limit, no Normalize).
final class SentenceEmbedderGoldenTests: XCTestCase {
    struct Golden: Decodable {
        var batchSize: Int
        var maxSeqLength: Int
        var texts: [String]
        var embeddings: [[Float]]
    }

    static let fixtures = TestPaths.packageRoot.appending(path: "Tests/TransferTests/Fixtures/embedder")

    func golden(_ name: String) throws -> Golden {
        try JSONDecoder().decode(Golden.self, from: Data(contentsOf: Self.fixtures.appending(path: name)))
    }

    /// Every vector within `tolerance` of sentence-transformers', in the caller's order.
    func assertMatches(_ embedder: SentenceEmbedder, _ golden: Golden, tolerance: Float,
                       file: StaticString = #filePath, line: UInt = #line) throws {
        let vectors = try embedder.embed(golden.texts)
        XCTAssertEqual(vectors.count, golden.texts.count, file: file, line: line)
        for (i, (actual, expected)) in zip(vectors, golden.embeddings).enumerated() {
            assertClose(actual, expected, tolerance: tolerance, "text \(i): \(golden.texts[i].prefix(40).debugDescription)",
                        file: file, line: line)
        }
    }

    func testDemoModelMatchesSentenceTransformers() throws {
        let folder = try TestPaths.demoModel()
        let golden = try golden("minilm.json")
        let embedder = try SentenceEmbedder(model: folder.path, batchSize: golden.batchSize)
        XCTAssertEqual(embedder.pooling, .mean)
        XCTAssertTrue(embedder.normalize)
        XCTAssertEqual(embedder.maxLength, golden.maxSeqLength)
        XCTAssertTrue(embedder.encode(golden.texts).contains { $0.count == golden.maxSeqLength }, "one text is truncated")
        try assertMatches(embedder, golden, tolerance: 2e-5)
        // The batch size changes only which texts share a batch, never a vector.
        var one = embedder
        one.batchSize = 1
        try assertMatches(one, golden, tolerance: 2e-5)
    }

    func testTinyModelSavedBySentenceTransformers6Matches() throws {
        let golden = try golden("tiny.json")
        let embedder = try SentenceEmbedder(model: Self.fixtures.appending(path: "tiny").path, batchSize: golden.batchSize)
        XCTAssertEqual(embedder.pooling, .max)
        XCTAssertFalse(embedder.normalize)
        XCTAssertEqual(embedder.maxLength, golden.maxSeqLength)
        XCTAssertTrue(embedder.encode(golden.texts).contains { $0.count == golden.maxSeqLength }, "one text is truncated")
        try assertMatches(embedder, golden, tolerance: 1e-5)
    }
}
