import BertKit
import Foundation
import TestSupport
@testable import Transfer
import XCTest

/// `bertkit eval --task retrieval`'s parts: the metrics (sentence-transformers' InformationRetrievalEvaluator
/// definitions, by hand and on a toy folder whose figures that evaluator computed: Fixtures/retrieval, written
/// by scripts/fixtures/embedding_fixtures.py), the bounded top-k, and the BEIR folder's errors.
final class RetrievalTests: XCTestCase {
    static let fixtures = TestPaths.packageRoot.appending(path: "Tests/TransferTests/Fixtures/retrieval")

    func testMetricsByHand() {
        // q1: relevant at rank 2 of 10; q2: two relevant, at ranks 1 and 7; q3: relevant beyond the top 10.
        let ranked = (0..<12).map { "d\($0)" }
        let rankings = [ranked, ranked, ranked]
        let relevant: [Set<String>] = [["d1"], ["d0", "d6"], ["d11"]]
        let m = RetrievalMetrics(rankings: rankings, relevant: relevant, documents: 12)
        XCTAssertEqual(m.queries, 3)
        XCTAssertEqual(m.accuracyAt1, 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(m.accuracyAt5, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(m.recallAt1, (0 + 0.5 + 0) / 3, accuracy: 1e-12)
        XCTAssertEqual(m.recallAt5, (1 + 0.5 + 0) / 3, accuracy: 1e-12)
        XCTAssertEqual(m.recallAt10, (1 + 1 + 0) / 3, accuracy: 1e-12)
        XCTAssertEqual(m.mrrAt10, (0.5 + 1 + 0) / 3, accuracy: 1e-12)
        // NDCG: q1 (1/log2 3) / 1; q2 (1 + 1/log2 8) / (1 + 1/log2 3); q3 0.
        let ndcg = (1 / log2(3.0) + (1 + 1 / 3.0) / (1 + 1 / log2(3.0))) / 3
        XCTAssertEqual(m.ndcgAt10, ndcg, accuracy: 1e-12)
    }

    func testTopHitsKeepsTheBestAndBreaksTiesByTheGreaterID() {
        var top = TopHits(k: 3)
        for (score, id) in [(0.1, "a"), (0.9, "b"), (0.5, "c"), (0.5, "e"), (0.2, "f"), (0.5, "d"), (0.95, "g")] {
            if top.admits(Float(score)) { top.insert(.init(score: Float(score), id: id)) }
        }
        XCTAssertEqual(top.ranked.map(\.id), ["g", "b", "e"])
    }

    func testToyFolderMatchesSentenceTransformers() throws {
        struct Expected: Decodable { var metrics: [String: Double]; var rankings: [String: [String]] }
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: Self.fixtures.appending(path: "toy-expected.json")))
        let folder = try BEIRFolder(Self.fixtures.appending(path: "toy"))
        XCTAssertEqual(folder.queries.map(\.id), ["q1", "q2", "q3", "q4", "q5", "q7", "q8"], "q6 has no judgement")
        XCTAssertEqual(folder.relevant["q2"], ["d3"], "a score of 0 is not relevant")
        let embedder = try SentenceEmbedder(model: TestPaths.demoModel().path)
        // Streamed three documents at a time or all at once: the same ranks.
        for batch in [3, 1024] {
            let evaluator = RetrievalEvaluator(corpusBatchSize: batch)
            let rankings = try evaluator.rank(folder, progress: nil) { try embedder.embed($0) }
            for (query, ranking) in zip(folder.queries, rankings) {
                XCTAssertEqual(ranking.map(\.id), expected.rankings[query.id], "\(query.id), corpus batches of \(batch)")
            }
            let metrics = try evaluator.evaluate(folder) { try embedder.embed($0) }.values
            for name in ["recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10", "accuracy@1", "accuracy@5", "accuracy@10"] {
                XCTAssertEqual(try XCTUnwrap(metrics[name]), try XCTUnwrap(expected.metrics[name], name), accuracy: 1e-9, name)
            }
        }
    }

    /// A BEIR folder in a fresh temporary folder, from the lines of each file.
    func folder(corpus: [String], queries: [String] = [#"{"_id": "q1", "text": "a question"}"#],
                qrels: [String] = ["query-id\tcorpus-id\tscore", "q1\td1\t1"]) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appending(path: "bertkit-beir-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appending(path: "qrels"), withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        for (name, lines) in [("corpus.jsonl", corpus), ("queries.jsonl", queries), ("qrels/test.tsv", qrels)] {
            try (lines.joined(separator: "\n") + "\n").write(to: dir.appending(path: name), atomically: true, encoding: .utf8)
        }
        return dir
    }

    func testBadFoldersNameTheFileAndLine() throws {
        let d1 = #"{"_id": "d1", "text": "one"}"#, d2 = #"{"_id": "d2", "title": "T", "text": "two"}"#
        let cases: [(URL, [String])] = [
            (try folder(corpus: [d1, d2, #"{"_id": "d1", "text": "again"}"#]), ["corpus.jsonl:3", "\"d1\" again", "line 1"]),
            (try folder(corpus: [d1, d2], qrels: ["query-id\tcorpus-id\tscore", "q1\td1\t1", "q1\td9\t1"]),
             ["test.tsv:3", "unknown id \"d9\"", "corpus-id"]),
            (try folder(corpus: [d1], qrels: ["query-id\tcorpus-id\tscore", "q7\td1\t1"]), ["test.tsv:2", "unknown id \"q7\"", "query-id"]),
            (try folder(corpus: [d1], qrels: ["q1\td1\t1"]), ["test.tsv:1", "header"]),
            (try folder(corpus: [d1, "{\"_id\": \"d2\"}"]), ["corpus.jsonl:2", "\"text\""]),
            (try folder(corpus: [d1, "not json"]), ["corpus.jsonl:2", "JSON"]),
            (try folder(corpus: [d1], qrels: ["query-id\tcorpus-id\tscore", "q1\td1\tx"]), ["test.tsv:2", "score"]),
            (try folder(corpus: [d1], qrels: ["query-id\tcorpus-id\tscore", "q1\td1\t0"]), ["test.tsv", "score above 0"]),
        ]
        for (url, parts) in cases {
            guard let error = expectError({ () throws(DataError) in try BEIRFolder(url) }) else { continue }
            assertMentions(error.description, parts)
        }
        let missing = try folder(corpus: [d1])
        try FileManager.default.removeItem(at: missing.appending(path: "queries.jsonl"))
        assertMentions(expectError({ () throws(DataError) in try BEIRFolder(missing) })?.description ?? "", ["queries.jsonl", "no such file"])
    }
}
