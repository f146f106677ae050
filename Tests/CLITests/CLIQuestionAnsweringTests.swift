import Foundation
import TestSupport
import XCTest

/// `--task qa` through the command line: train, eval, predict, summary, and bad input as one line.
final class CLIQuestionAnsweringTests: XCTestCase {
    var work: URL!

    override func setUpWithError() throws {
        work = try Tiny.workFolder()
        let fixture = TestPaths.packageRoot.appending(path: "Tests/TransferTests/Fixtures/qa/tiny-squad.json")
        try FileManager.default.copyItem(at: fixture, to: work.appending(path: "squad.json"))
    }
    override func tearDown() { try? FileManager.default.removeItem(at: work) }

    let quick = ["--task", "qa", "--model", "tiny", "--train", "squad.json", "--epochs", "2", "--batch-size", "4",
                 "--lr", "1e-3", "--threads", "1", "--max-length", "32", "--doc-stride", "8"]

    func write(_ name: String, _ text: String) throws {
        try text.write(to: work.appending(path: name), atomically: true, encoding: .utf8)
    }

    func testTrainEvalPredictAndSummary() throws {
        for mode in ["frozen", "finetune", "layers:1", "lora"] {
            let out = "out-\(mode.replacingOccurrences(of: ":", with: "-"))"
            let train = try CLI.run(["train"] + quick + ["--mode", mode, "--dev", "squad.json", "--output", out], in: work)
            XCTAssertEqual(train.status, 0, "\(mode): \(train.stderr)")
            XCTAssertTrue(train.stdout.contains("dev f1"), train.stdout)
        }
        let eval = try CLI.run(["eval", "--model", "out-finetune", "--data", "squad.json"], in: work)
        XCTAssertEqual(eval.status, 0, eval.stderr)
        let metrics = try CLI.object(eval.stdout)
        XCTAssertEqual(metrics["task"] as? String, "question_answering")
        XCTAssertNotNil(metrics["exact_match"] as? Double)
        XCTAssertNotNil(metrics["f1"] as? Double)
        XCTAssertEqual(metrics["count"] as? Int, 4)

        let context = "the film was good and the food was bad"
        let predict = try CLI.run(["predict", "--model", "out-finetune"], input: "{\"question\": \"what was good\", \"context\": \"\(context)\"}\n", in: work)
        XCTAssertEqual(predict.status, 0, predict.stderr)
        let answer = try CLI.object(predict.stdout)
        let start = try XCTUnwrap(answer["start"] as? Int), end = try XCTUnwrap(answer["end"] as? Int)
        let scalars = Array(context.unicodeScalars)
        XCTAssertEqual(answer["answer"] as? String, String(String.UnicodeScalarView(scalars[start..<end])))
        XCTAssertNotNil(answer["score"] as? Double)

        let summary = try CLI.run(["summary", "--model", "tiny", "--task", "qa", "--mode", "lora"], in: work)
        XCTAssertEqual(summary.status, 0, summary.stderr)
        XCTAssertTrue(summary.stdout.contains("qa_outputs (Dense)"), summary.stdout)
        XCTAssertTrue(summary.stdout.contains("BertForQuestionAnswering"), summary.stdout)
    }

    func testBadInputIsOneLine() throws {
        try write("moved.json", #"{"data": [{"paragraphs": [{"context": "the film was good", "qas": [{"id": "q1", "question": "what", "answers": [{"text": "film", "answer_start": 3}]}]}]}]}"#)
        try write("empty.jsonl", #"{"question": "what", "context": "", "answers": [{"text": "film", "answer_start": 0}]}"# + "\n")
        let cases: [([String], String)] = [
            (["--train", "moved.json"], "moved.json: question q1: answer \"film\" is not at answer_start 3"),
            (["--train", "empty.jsonl"], "empty.jsonl:1: the context is empty"),
            (["--max-length", "6", "--doc-stride", "2"], "question q-good: the question is 6 tokens with the special tokens, which leaves no room"),
            (["--doc-stride", "32"], "--doc-stride 32 must be less than --max-length 32"),
        ]
        for (options, text) in cases {
            assertFails(try CLI.run(["train"] + quick + ["--output", "out"] + options, in: work), saying: text)
        }
        // A few bad answers are skipped, and named, only when asked.
        try write("mixed.json", #"{"data": [{"paragraphs": [{"context": "the film was good", "qas": [{"id": "ok", "question": "what", "answers": [{"text": "film", "answer_start": 4}]}, {"id": "bad", "question": "what", "answers": [{"text": "film", "answer_start": 5}]}]}]}]}"#)
        assertFails(try CLI.run(["train"] + quick + ["--output", "out", "--train", "mixed.json"], in: work), saying: "question bad")
        let skipped = try CLI.run(["train"] + quick + ["--output", "out", "--train", "mixed.json", "--skip-bad-examples"], in: work)
        XCTAssertEqual(skipped.status, 0, skipped.stderr)
        XCTAssertTrue(skipped.stderr.contains("skipped: mixed.json: question bad: answer \"film\" is not at answer_start 5"), skipped.stderr)

        let predict = try CLI.run(["predict", "--model", "out"], input: "{\"question\": \"what\"}\n", in: work)
        assertFails(predict, saying: "standard input:1: expected {\"question\": …, \"context\": …}")
    }
}
