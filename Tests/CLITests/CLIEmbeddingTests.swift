import Foundation
import TestSupport
import XCTest

/// `bertkit train --task embedding` and `bertkit eval --task retrieval` as a user runs them. The folder
/// training writes is a sentence-transformers one: scripts/fixtures/embedding_fixtures.py ran the same
/// command and `SentenceTransformer(folder)` on its output (Fixtures/embedding/expected.json); BertKit's
/// vectors from its own folder (through `bertkit embed`) must be those, within 1e-5.
final class CLIEmbeddingTests: XCTestCase {
    static let fixtures = TestPaths.packageRoot.appending(path: "Tests/TransferTests/Fixtures")
    var work: URL!

    override func setUpWithError() throws {
        work = FileManager.default.temporaryDirectory.appending(path: "bertkit-cli-embedding-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    }
    override func tearDown() { try? FileManager.default.removeItem(at: work) }

    struct Expected: Decodable {
        var arguments: [String]
        var maxSeqLength: Int
        var texts: [String]
        var embeddings: [[Float]]
        var untrained: [[Float]]
    }

    func vectors(_ result: CLI.Result) throws -> [[Float]] {
        try result.lines.map { line in
            try XCTUnwrap(CLI.object(line)["embedding"] as? [Double]).map { Float($0) }
        }
    }

    func testTrainedFolderGivesSentenceTransformersVectors() throws {
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: Self.fixtures.appending(path: "embedding/expected.json")))
        let model = try TestPaths.demoModel().path
        let pairs = Self.fixtures.appending(path: "embedding/pairs.jsonl").path
        let train = try CLI.run(["train", "--task", "embedding", "--model", model, "--train", pairs, "--output", "out"] + expected.arguments, in: work)
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertTrue(train.stdout.contains("saved a sentence-transformers model"), train.stdout)
        for name in ["modules.json", "1_Pooling/config.json", "2_Normalize", "sentence_bert_config.json", "config.json",
                     "model.safetensors", "tokenizer.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: work.appending(path: "out/" + name).path), name)
        }
        let settings = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: work.appending(path: "out/sentence_bert_config.json"))) as? [String: Any])
        XCTAssertEqual(settings["max_seq_length"] as? Int, expected.maxSeqLength)

        let embed = try CLI.run(["embed", "--model", "out"], input: expected.texts.joined(separator: "\n") + "\n", in: work)
        XCTAssertEqual(embed.status, 0, embed.stderr)
        let actual = try vectors(embed)
        XCTAssertEqual(actual.count, expected.texts.count)
        var moved: Float = 0
        for (i, (a, e)) in zip(actual, expected.embeddings).enumerated() {
            assertClose(a, e, tolerance: 1e-5, "text \(i)")
            moved = max(moved, zip(a, expected.untrained[i]).map { abs($0 - $1) }.max()!)
        }
        XCTAssertGreaterThan(moved, 1e-3, "training changed the vectors of the untrained layers")

        // The trained folder is a model like any other for retrieval.
        let eval = try CLI.run(["eval", "--task", "retrieval", "--model", "out", "--data", Self.fixtures.appending(path: "retrieval/toy").path], in: work)
        XCTAssertEqual(eval.status, 0, eval.stderr)
        let metrics = try CLI.object(eval.lines.joined())
        XCTAssertEqual(metrics["queries"] as? Int, 7)
        XCTAssertNotNil(metrics["mrr@10"] as? Double)
    }

    func testRetrievalPrintsSentenceTransformersFigures() throws {
        struct Toy: Decodable { var metrics: [String: Double] }
        let toy = try JSONDecoder().decode(Toy.self, from: Data(contentsOf: Self.fixtures.appending(path: "retrieval/toy-expected.json")))
        let result = try CLI.run(["eval", "--task", "retrieval", "--model", TestPaths.demoModel().path, "--data",
                                  Self.fixtures.appending(path: "retrieval/toy").path, "--corpus-batch-size", "4"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let metrics = try CLI.object(result.lines.joined())
        for name in ["recall@1", "recall@5", "recall@10", "mrr@10", "ndcg@10"] {
            XCTAssertEqual(try XCTUnwrap(metrics[name] as? Double, name), try XCTUnwrap(toy.metrics[name]), accuracy: 1e-9, name)
        }
    }

    func write(_ name: String, _ text: String) throws {
        let url = work.appending(path: name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    func testBadInputIsOneClearLine() throws {
        let model = try TestPaths.demoModel().path
        try write("empty.jsonl", #"{"anchor": "q1", "positive": "p1"}"# + "\n" + #"{"anchor": "q2", "positive": ""}"# + "\n")
        try write("pairs.jsonl", #"{"anchor": "q1", "positive": "p1"}"# + "\n" + #"{"anchor": "q2", "positive": "p2"}"# + "\n")
        let train = ["train", "--task", "embedding", "--model", model, "--mode", "layers:1", "--output", "out"]
        assertFails(try CLI.run(train + ["--train", "empty.jsonl"], in: work), saying: "empty.jsonl:2: column \"positive\" is empty")
        assertFails(try CLI.run(train + ["--train", "pairs.jsonl", "--batch-size", "1"], in: work), saying: "in-batch negatives need at least 2")
        assertFails(try CLI.run(train + ["--train", "pairs.jsonl", "--mode", "frozen"], in: work), saying: "trains nothing")

        try write("beir/corpus.jsonl", #"{"_id": "d1", "text": "one"}"# + "\n" + #"{"_id": "d1", "text": "two"}"# + "\n")
        try write("beir/queries.jsonl", #"{"_id": "q1", "text": "a question"}"# + "\n")
        try write("beir/qrels/test.tsv", "query-id\tcorpus-id\tscore\nq1\td1\t1\n")
        let eval = ["eval", "--task", "retrieval", "--model", model, "--data", "beir"]
        assertFails(try CLI.run(eval, in: work), saying: "corpus.jsonl:2: expected a new _id, found \"d1\" again (first on line 1)")
        try write("beir/corpus.jsonl", #"{"_id": "d1", "text": "one"}"# + "\n")
        try write("beir/qrels/test.tsv", "query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td2\t1\n")
        assertFails(try CLI.run(eval, in: work), saying: "test.tsv:3: expected a corpus-id of corpus.jsonl, found unknown id \"d2\"")
        assertFails(try CLI.run(["eval", "--task", "qa", "--model", model, "--data", "beir"], in: work), saying: "--task retrieval")
    }
}
