import Foundation
import TestSupport
import XCTest
@testable import Checkpoints

/// Opens the demo model that scripts/bootstrap installs in the hub cache (scripts/test runs it); fails when it is
/// absent, naming what to run.
final class DemoModelTests: XCTestCase {
    func demoFolder() throws -> URL {
        _ = try TestPaths.demoModel()   // a missing model fails with what to run
        return try ModelLocation.resolve("sentence-transformers/all-MiniLM-L6-v2")
    }

    func testOpensAllMiniLML6v2() throws {
        let folder = try demoFolder()
        let weights = try SafeTensorsCheckpoint(contentsOf: folder)
        XCTAssertEqual(weights.info("embeddings.word_embeddings.weight")?.shape, [30522, 384])
        XCTAssertEqual(weights.info("embeddings.word_embeddings.weight")?.dtype, .float32)
        XCTAssertFalse(weights.keys.contains { $0.hasPrefix("bert.") }, "sentence-transformers saves the bare BertModel")
        XCTAssert(weights.contains("encoder.layer.5.output.LayerNorm.weight"))
        XCTAssertFalse(weights.floatKeys.contains("embeddings.position_ids"))
        XCTAssertEqual(weights.files.first?.metadata["format"], "pt")

        let gamma = try weights.floats("embeddings.LayerNorm.weight", shape: [384])
        XCTAssert(gamma.allSatisfy(\.isFinite))
        let embeddings = try weights.floats("embeddings.word_embeddings.weight")
        XCTAssertEqual(embeddings.count, 30522 * 384)

        let config = try JSONConfig(contentsOf: folder.appending(path: "config.json"))
        let (hidden, layers, intermediate) = (try config.int("hidden_size"), try config.int("num_hidden_layers"), try config.int("intermediate_size"))
        XCTAssertEqual(hidden, 384)
        XCTAssertEqual(layers, 6)
        for layer in 0..<layers {
            XCTAssertEqual(weights.info("encoder.layer.\(layer).attention.self.query.weight")?.shape, [hidden, hidden])
            XCTAssertEqual(weights.info("encoder.layer.\(layer).intermediate.dense.weight")?.shape, [intermediate, hidden])
        }

        let sentence = try XCTUnwrap(try SentenceTransformerConfig.load(from: folder))
        XCTAssertEqual(sentence.pooling?.modes, [.mean])
        XCTAssertTrue(sentence.normalize)
        XCTAssertEqual(sentence.maxSeqLength, 256)
    }
}
