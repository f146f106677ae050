import Foundation
import XCTest

/// The commands' normal output: exit 0, one JSON object per input line, in input order.
final class CLIHappyPathTests: XCTestCase {
    var work: URL!

    override func setUpWithError() throws { work = try Tiny.workFolder() }
    override func tearDown() { try? FileManager.default.removeItem(at: work) }

    func testHelpAndUsageErrorsAreArgumentParsers() throws {
        for arguments in [["--help"], [], ["train", "--help"], ["help", "embed"]] {
            let result = try CLI.run(arguments, in: work)
            XCTAssertEqual(result.status, 0, "\(arguments): \(result.stderr)")
            XCTAssertTrue(result.stdout.contains("USAGE: bertkit"), "\(arguments): \(result.stdout)")
        }
        let unknown = try CLI.run(["bogus"], in: work)
        XCTAssertEqual(unknown.status, 64)
        XCTAssertTrue(unknown.stderr.hasPrefix("Error: Unexpected argument 'bogus'"), unknown.stderr)
    }

    func testTokenizeWritesOneObjectPerLineWithSpecialTokens() throws {
        let result = try CLI.run(["tokenize", "--model", "tiny"], input: "good film\nthe food was really bad\n", in: work)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.lines.count, 2)
        for (line, words) in zip(result.lines, [["good", "film"], ["the", "food", "was", "really", "bad"]]) {
            let object = try CLI.object(line)
            let ids = try XCTUnwrap(object["ids"] as? [Int]), tokens = try XCTUnwrap(object["tokens"] as? [String])
            XCTAssertEqual(tokens, ["[CLS]"] + words + ["[SEP]"])
            XCTAssertEqual(ids.count, tokens.count)
            XCTAssertEqual((object["offsets"] as? [[Int]])?.count, tokens.count)
            XCTAssertEqual((object["type_ids"] as? [Int])?.count, tokens.count)
        }
    }

    func testEmbedKeepsInputOrder() throws {
        let texts = ["good film", "the service was really awful", "good film", "bad"]
        let result = try CLI.run(["embed", "--model", "tiny", "--pooling", "mean"], input: texts.joined(separator: "\n") + "\n", in: work)
        XCTAssertEqual(result.status, 0, result.stderr)
        let vectors = try result.lines.map { try XCTUnwrap(CLI.object($0)["embedding"] as? [Double]) }
        XCTAssertEqual(vectors.count, 4)
        XCTAssertTrue(vectors.allSatisfy { $0.count == 32 })
        // The same text gives the same vector (to rounding: its batch's padding changes the sums' order).
        for (a, b) in zip(vectors[0], vectors[2]) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        XCTAssertGreaterThan(zip(vectors[0], vectors[1]).map { abs($0 - $1) }.max()!, 1e-3)
        // Each line's vector is the one it gets alone.
        for (i, text) in texts.enumerated() {
            let alone = try CLI.run(["embed", "--model", "tiny", "--pooling", "mean"], input: text + "\n", in: work)
            let vector = try XCTUnwrap(CLI.object(alone.lines[0])["embedding"] as? [Double])
            for (a, b) in zip(vector, vectors[i]) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        }
    }

    func testEmbedTokenVectors() throws {
        let result = try CLI.run(["embed", "--model", "tiny", "--pooling", "none"], input: "good film\n", in: work)
        XCTAssertEqual(result.status, 0, result.stderr)
        let object = try CLI.object(result.lines[0])
        XCTAssertEqual(object["tokens"] as? [String], ["[CLS]", "good", "film", "[SEP]"])
        XCTAssertEqual((object["hidden"] as? [[Double]])?.map(\.count), [32, 32, 32, 32])
    }

    func testSummaryTotalIsTheSumOfItsRows() throws {
        let result = try CLI.run(["summary", "--model", "tiny"], in: work)
        XCTAssertEqual(result.status, 0, result.stderr)
        func number(_ text: Substring) -> Int? { Int(text.replacingOccurrences(of: ",", with: "")) }
        let rows = result.lines.filter { $0.hasPrefix("embeddings") || $0.hasPrefix("encoder.") || $0.hasPrefix("pooler") }
        XCTAssertEqual(rows.count, 4, result.stdout)
        let sum = rows.compactMap { $0.split(separator: " ").dropLast().last.flatMap(number) }.reduce(0, +)
        let total = try XCTUnwrap(result.lines.first { $0.hasPrefix("Total params:") }?.split(separator: " ").last.flatMap(number))
        XCTAssertEqual(total, sum)
        XCTAssertGreaterThan(total, 0)
    }

    func testTrainEvalAndPredictAgree() throws {
        let train = try CLI.run(["train"] + Tiny.quick + ["--dev", "dev.tsv", "--output", "out"], in: work)
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertTrue(train.stdout.hasPrefix("saved BertForSequenceClassification to out"), train.stdout)
        let out = work.appending(path: "out")
        for name in ["config.json", "model.safetensors", "bertkit.json", "vocab.txt", "report.json", "report.md", "report.svg"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appending(path: name).path), name)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.appending(path: "checkpoint").path), "a finished run keeps no checkpoint")

        let eval = try CLI.run(["eval", "--model", "out", "--data", "dev.tsv"], in: work)
        XCTAssertEqual(eval.status, 0, eval.stderr)
        let metrics = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(metrics["task"] as? String, "classification")
        let accuracy = try XCTUnwrap(metrics["accuracy"] as? Double)

        // predict on the dev texts gives the same accuracy as eval.
        let rows = try String(contentsOf: work.appending(path: "dev.tsv"), encoding: .utf8).split(separator: "\n").dropFirst()
            .map { $0.split(separator: "\t").map(String.init) }
        let predict = try CLI.run(["predict", "--model", "out"], input: rows.map { $0[0] + "\n" }.joined(), in: work)
        XCTAssertEqual(predict.status, 0, predict.stderr)
        XCTAssertEqual(predict.lines.count, rows.count)
        var correct = 0
        for (line, row) in zip(predict.lines, rows) {
            let object = try CLI.object(line)
            let label = try XCTUnwrap(object["label"] as? String)
            let probabilities = try XCTUnwrap(object["probabilities"] as? [String: Double])
            XCTAssertEqual(Set(probabilities.keys), ["negative", "positive"])
            XCTAssertEqual(probabilities.values.reduce(0, +), 1, accuracy: 1e-5)
            XCTAssertEqual(label, probabilities.max { $0.value < $1.value }?.key)
            if label == row[1] { correct += 1 }
        }
        XCTAssertEqual(Double(correct) / Double(rows.count), accuracy, accuracy: 1e-9)
    }

    /// The default thread count follows the CPU affinity (`taskset`, a cpuset, mpirun's binding), and
    /// ranks that mpirun placed on one host without binding share its cores, as `bertkit env` shows.
    func testDefaultThreadsFollowTheAffinityAndTheRanksOfTheHost() throws {
        func threads(_ command: String, _ environment: [String: String] = [:]) throws -> Int? {
            let result = try CLI.shell(command, arguments: ["env", "--no-measure"], environment: environment)
            XCTAssertEqual(result.status, 0, result.stderr)
            return result.lines.first { $0.hasPrefix("threads:") }.flatMap { Int($0.dropFirst("threads:".count).trimmingCharacters(in: .whitespaces)) }
        }
        // The shell helper sets BERTKIT_THREADS=1 for every test; `env -u` takes it away here.
        let bare = "exec env -u BERTKIT_THREADS \"$BERTKIT\" \"$@\""
        let pinned = "exec env -u BERTKIT_THREADS taskset -c 0 \"$BERTKIT\" \"$@\""
        // nproc counts the cores this test may run on; activeProcessorCount every online one.
        let nproc = try CLI.shell("exec nproc")
        let usable = try XCTUnwrap(Int(nproc.stdout.trimmingCharacters(in: .whitespacesAndNewlines)), nproc.stderr)
        let all = ProcessInfo.processInfo.activeProcessorCount
        XCTAssertEqual(try threads(pinned), 1)
        XCTAssertEqual(try threads(bare), usable)
        XCTAssertEqual(try threads(bare, ["OMPI_COMM_WORLD_LOCAL_SIZE": "2"]), max(1, min(usable, all / 2)))
        XCTAssertEqual(try threads(pinned, ["OMPI_COMM_WORLD_LOCAL_SIZE": "2"]), 1)
        XCTAssertEqual(try threads("exec \"$BERTKIT\" \"$@\"", ["OMPI_COMM_WORLD_LOCAL_SIZE": "2", "BERTKIT_THREADS": "3"]), 3)
    }
}
