import Foundation
import XCTest

/// `--mode lora` end to end: the summary's adapter rows, the adapter folder, `--adapter` on predict,
/// eval and embed, `--merge` and `bertkit merge` giving the adapter's outputs, and clear errors.
final class CLILoRATests: XCTestCase {
    var work: URL!

    override func setUpWithError() throws { work = try Tiny.workFolder() }
    override func tearDown() { try? FileManager.default.removeItem(at: work) }

    func testSummaryShowsEachAdapter() throws {
        let result = try CLI.run(["summary", "--model", "tiny", "--task", "classify", "--labels", "2", "--mode", "lora",
                                  "--lora-rank", "4", "--lora-targets", "query,key,value"], in: work)
        XCTAssertEqual(result.status, 0, result.stderr)
        let rows = result.lines.filter { $0.contains("(LoRA: r=4, alpha=16)") }
        XCTAssertEqual(rows.count, 2 * 3, result.stdout)
        XCTAssertTrue(rows[0].hasPrefix("bert.encoder.layer.0.attention.self.query.lora"), rows[0])
        // 6 adapters of 2·4·32 and the 2·32+2 classifier (mean pooling: the pooler is not read).
        XCTAssertTrue(result.lines.contains("Trainable params: 1,602"), result.stdout)
    }

    func testTrainPredictEvalEmbedAndMerge() throws {
        let train = try CLI.run(["train"] + Tiny.quick + ["--mode", "lora", "--pooling", "pooler", "--dev", "dev.tsv",
                                                          "--merge", "--output", "out"], in: work)
        XCTAssertEqual(train.status, 0, train.stderr)
        XCTAssertTrue(train.stdout.hasPrefix("saved the LoRA adapter (PEFT format) to out, the merged BertForSequenceClassification to out/merged"), train.stdout)
        let out = work.appending(path: "out")
        for name in ["adapter_config.json", "adapter_model.safetensors", "bertkit.json", "vocab.txt", "merged/model.safetensors", "merged/config.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appending(path: name).path), name)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.appending(path: "model.safetensors").path), "an adapter folder holds no encoder")

        let texts = "the film was good\nthe food is very bad\nnot really nice\n"
        let adapter = try CLI.run(["predict", "--model", "tiny", "--adapter", "out", "--logits"], input: texts, in: work)
        XCTAssertEqual(adapter.status, 0, adapter.stderr)
        let merged = try CLI.run(["predict", "--model", "out/merged", "--logits"], input: texts, in: work)
        XCTAssertEqual(merged.status, 0, merged.stderr)
        let mergeCommand = try CLI.run(["merge", "--model", "tiny", "--adapter", "out", "--output", "merged2"], in: work)
        XCTAssertEqual(mergeCommand.status, 0, mergeCommand.stderr)
        let merged2 = try CLI.run(["predict", "--model", "merged2", "--logits"], input: texts, in: work)
        XCTAssertEqual(merged2.lines.count, 3, merged2.stderr)
        for ((a, b), c) in zip(zip(adapter.lines, merged.lines), merged2.lines) {
            let logits = try [a, b, c].map { try XCTUnwrap(CLI.object($0)["logits"] as? [Double]) }
            for other in logits.dropFirst() {
                for (x, y) in zip(logits[0], other) { XCTAssertEqual(x, y, accuracy: 1e-5, "merged logits equal the adapter's") }
            }
        }

        let eval = try CLI.run(["eval", "--model", "tiny", "--adapter", "out", "--data", "dev.tsv"], in: work)
        XCTAssertEqual(eval.status, 0, eval.stderr)
        XCTAssertNotNil(try JSONSerialization.jsonObject(with: Data(eval.stdout.utf8)) as? [String: Any])

        let plain = try CLI.run(["embed", "--model", "tiny"], input: texts, in: work)
        let adapted = try CLI.run(["embed", "--model", "tiny", "--adapter", "out"], input: texts, in: work)
        XCTAssertEqual(adapted.status, 0, adapted.stderr)
        XCTAssertEqual(adapted.lines.count, 3)
        XCTAssertNotEqual(adapted.lines, plain.lines, "the adapters change the encoder's vectors")
    }

    /// An adapter folder given as --model alone runs on the base its adapter_config.json names; a
    /// base other than the named one runs with a warning when its shapes fit.
    func testAdapterFolderAloneRunsOnTheBaseItNames() throws {
        let train = try CLI.run(["train"] + Tiny.quick + ["--mode", "lora", "--output", "out"], in: work)
        XCTAssertEqual(train.status, 0, train.stderr)
        let texts = "the film was good\nthe food is very bad\n"
        let explicit = try CLI.run(["predict", "--model", "tiny", "--adapter", "out", "--logits"], input: texts, in: work)
        XCTAssertEqual(explicit.status, 0, explicit.stderr)
        let alone = try CLI.run(["predict", "--model", "out", "--logits"], input: texts, in: work)
        XCTAssertEqual(alone.status, 0, alone.stderr)
        XCTAssertEqual(alone.lines, explicit.lines)
        XCTAssertEqual(try CLI.run(["embed", "--model", "out"], input: texts, in: work).lines,
                       try CLI.run(["embed", "--model", "tiny", "--adapter", "out"], input: texts, in: work).lines)

        try FileManager.default.copyItem(at: work.appending(path: "tiny"), to: work.appending(path: "copy"))
        let other = try CLI.run(["predict", "--model", "copy", "--adapter", "out", "--logits"], input: texts, in: work)
        XCTAssertEqual(other.status, 0, other.stderr)
        XCTAssertTrue(other.stderr.contains("bertkit: warning: out was made for tiny (base_model_name_or_path in adapter_config.json), not copy"), other.stderr)
        XCTAssertEqual(other.lines, explicit.lines)

        // Shapes that do not fit (here a rank the weights do not have) name the base the adapter wants.
        let config = work.appending(path: "out/adapter_config.json")
        var json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: config)) as? [String: Any])
        let saved = json
        json["base_model_name_or_path"] = "elsewhere"
        json["r"] = 3
        try JSONSerialization.data(withJSONObject: json).write(to: config)
        assertFails(try CLI.run(["predict", "--model", "tiny", "--adapter", "out"], input: texts, in: work),
                    saying: "made for \"elsewhere\" (base_model_name_or_path), not tiny")
        json = saved
        json["base_model_name_or_path"] = nil
        try JSONSerialization.data(withJSONObject: json).write(to: config)
        assertFails(try CLI.run(["predict", "--model", "out"], input: texts, in: work), saying: "names no base (base_model_name_or_path)")
    }

    func testBadLoRAInputIsAClearError() throws {
        let rank = try CLI.run(["train"] + Tiny.quick + ["--mode", "lora", "--lora-rank", "0", "--output", "out"], in: work)
        XCTAssertNotEqual(rank.status, 0)
        XCTAssertTrue(rank.stderr.contains("--lora-rank must be in 1…4096, got 0"), rank.stderr)
        let target = try CLI.run(["train"] + Tiny.quick + ["--mode", "lora", "--lora-targets", "q_lin", "--output", "out"], in: work)
        XCTAssertNotEqual(target.status, 0)
        XCTAssertTrue(target.stderr.contains("\"q_lin\" names no dense layer"), target.stderr)
        let merge = try CLI.run(["train"] + Tiny.quick + ["--merge", "--output", "out"], in: work)
        XCTAssertNotEqual(merge.status, 0)
        XCTAssertTrue(merge.stderr.contains("--merge needs --mode lora"), merge.stderr)
        let missing = try CLI.run(["predict", "--model", "tiny", "--adapter", "nowhere"], input: "good\n", in: work)
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.stderr.contains("nowhere/adapter_config.json: missing"), missing.stderr)
    }
}
