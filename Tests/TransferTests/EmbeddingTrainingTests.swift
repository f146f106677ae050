import BertKit
import Foundation
import TestSupport
@testable import Transfer
import XCTest

/// The parts of `bertkit train --task embedding`: the pairs file, the no-duplicates batches and
/// MultipleNegativesRankingLoss (sentence-transformers' definitions). The whole run, and the folder
/// sentence-transformers loads, are in CLITests/CLIEmbeddingTests.
final class EmbeddingTrainingTests: XCTestCase {
    func testBatchesNeverRepeatATextAndKeepEveryPairOnce() {
        // 40 pairs over 10 distinct positives (each answers 4 anchors), batches of 4.
        let pairs = (0..<40).map { [100 + $0, $0 % 10] }
        let batches = NoDuplicatesBatches.make(texts: pairs, batchSize: 4, seed: 3, epoch: 0)
        for batch in batches {
            let texts = batch.flatMap { pairs[$0] }
            XCTAssertEqual(Set(texts).count, texts.count, "batch \(batch) repeats a text")
            XCTAssertLessThanOrEqual(batch.count, 4)
            XCTAssertGreaterThanOrEqual(batch.count, 2)
        }
        let used = batches.flatMap { $0 }
        XCTAssertEqual(Set(used).count, used.count, "no pair twice in an epoch")
        // Only pairs left alone at the end (a batch of one has no negative) may be dropped.
        let dropped = Set(0..<40).subtracting(used)
        XCTAssertLessThanOrEqual(Set(dropped.map { pairs[$0][1] }).count, 1, "dropped pairs all share one positive")
        // With no repeated text every pair is used, in full batches.
        let distinct = (0..<40).map { [100 + $0, $0] }
        let full = NoDuplicatesBatches.make(texts: distinct, batchSize: 4, seed: 3, epoch: 0)
        XCTAssertEqual(full.map(\.count), Array(repeating: 4, count: 10))
        XCTAssertEqual(Set(full.flatMap { $0 }), Set(0..<40))
        XCTAssertEqual(batches, NoDuplicatesBatches.make(texts: pairs, batchSize: 4, seed: 3, epoch: 0), "seeded")
        XCTAssertNotEqual(batches, NoDuplicatesBatches.make(texts: pairs, batchSize: 4, seed: 3, epoch: 1), "reshuffled each epoch")
        // All pairs share one positive: no batch of 2 can be made.
        XCTAssertEqual(NoDuplicatesBatches.make(texts: (0..<5).map { [$0 + 1, 0] }, batchSize: 4, seed: 0, epoch: 0), [])
    }

    /// cross-entropy over scale · cos(anchor_i, candidate_j), target j = i, written out.
    func reference(_ a: [[Float]], _ c: [[Float]], scale: Float) -> Double {
        func cos(_ x: [Float], _ y: [Float]) -> Double {
            let dot = zip(x, y).reduce(0.0) { $0 + Double($1.0 * $1.1) }
            return dot / (sqrt(x.reduce(0.0) { $0 + Double($1 * $1) }) * sqrt(y.reduce(0.0) { $0 + Double($1 * $1) }))
        }
        var total = 0.0
        for i in a.indices {
            let logits = c.map { Double(scale) * cos(a[i], $0) }
            let top = logits.max()!
            total += log(logits.reduce(0.0) { $0 + exp($1 - top) }) + top - logits[i]
        }
        return total / Double(a.count)
    }

    func testLossIsSentenceTransformersDefinition() {
        var g = SeededGenerator(seed: 7)
        func rows(_ n: Int) -> [[Float]] { (0..<n).map { _ in (0..<5).map { _ in Float(g.next() % 1000) / 500 - 1 } } }
        let (a, p, n) = (rows(3), rows(3), rows(3))
        let tensor = { (x: [[Float]]) in Tensor(shape: [x.count, 5], scalars: x.flatMap { $0 }, requiresGrad: true) }
        let plain = MultipleNegativesRankingLoss(scale: 20)
        XCTAssertEqual(Double(plain(anchors: tensor(a), candidates: tensor(p)).item), reference(a, p, scale: 20), accuracy: 1e-4)
        // Hard negatives are candidates after the positives.
        XCTAssertEqual(Double(plain(anchors: tensor(a), candidates: tensor(p + n)).item), reference(a, p + n, scale: 20), accuracy: 1e-4)
        // Symmetric: the mean of anchor→candidates and positive→anchors.
        let symmetric = MultipleNegativesRankingLoss(scale: 20, symmetric: true)
        XCTAssertEqual(Double(symmetric(anchors: tensor(a), candidates: tensor(p + n)).item),
                       (reference(a, p + n, scale: 20) + reference(p, a, scale: 20)) / 2, accuracy: 1e-4)
        assertGradients([tensor(a), tensor(p + n)], tolerance: 2e-2, step: 1e-2, "symmetric MNRL") { x in
            MultipleNegativesRankingLoss(scale: 5, symmetric: true)(anchors: x[0], candidates: x[1])
        }
    }

    func file(_ name: String, _ text: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appending(path: "bertkit-pairs-\(UUID().uuidString)-\(name)")
        try text.write(to: url, atomically: true, encoding: .utf8)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func testPairsFiles() throws {
        let tsv = try PairDataset.read(file("p.tsv", "anchor\tpositive\tnegative\nq1\tp1\tn1\nq2\tp2\tn2\n"))
        XCTAssertEqual(tsv.pairs, [.init(anchor: "q1", positive: "p1", negative: "n1", line: 2), .init(anchor: "q2", positive: "p2", negative: "n2", line: 3)])
        XCTAssertTrue(tsv.hasNegatives)
        let jsonl = try PairDataset.read(file("p.jsonl", #"{"anchor": "q1", "positive": "p1"}"# + "\n" + #"{"anchor": "q2", "positive": "p2"}"# + "\n"))
        XCTAssertEqual(jsonl.pairs.map(\.positive), ["p1", "p2"])
        XCTAssertFalse(jsonl.hasNegatives)
        let cases: [(String, String, [String])] = [
            ("e.jsonl", #"{"anchor": "q1", "positive": "p1"}"# + "\n" + #"{"anchor": "q2", "positive": "  "}"# + "\n", [":2:", "\"positive\" is empty"]),
            ("e.tsv", "anchor\tpositive\nq1\tp1\n\tp2\n", [":3:", "\"anchor\" is empty"]),
            ("e.tsv", "question\tpassage\tother\nq1\tp1\tx\n", [":1:", "anchor"]),
        ]
        for (name, text, parts) in cases {
            let url = try file(name, text)
            guard let error = expectError({ () throws(DataError) in try PairDataset.read(url) }) else { continue }
            assertMentions(error.description, parts)
        }
    }
}
