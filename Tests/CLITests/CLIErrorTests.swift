import Foundation
import XCTest

/// Bad input never traps and never exits 0 with wrong output: each case ends with a non-zero
/// status and one clear line on stderr.
final class CLIErrorTests: XCTestCase {
    var work: URL!

    override func setUpWithError() throws { work = try Tiny.workFolder() }
    override func tearDown() { try? FileManager.default.removeItem(at: work) }

    func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: work.appending(path: path).path) }

    func trained(_ name: String, _ extra: [String] = []) throws {
        let result = try CLI.run(["train"] + Tiny.quick + ["--output", name] + extra, in: work)
        XCTAssertEqual(result.status, 0, result.stderr)
    }

    func edit(_ path: String, _ change: (inout [String: Any]) -> Void) throws {
        let url = work.appending(path: path)
        var object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        change(&object)
        try JSONSerialization.data(withJSONObject: object).write(to: url)
    }

    func testDivergedRunFailsAndSavesNoModel() throws {
        let result = try CLI.run(["train"] + Tiny.quick + ["--lr", "1e30", "--checkpoint-every", "1", "--output", "out"], in: work)
        assertFails(result, saying: "training diverged")
        XCTAssertTrue(result.stderr.contains("last good checkpoint"), result.stderr)
        XCTAssertFalse(exists("out/model.safetensors"))
        XCTAssertFalse(exists("out/bertkit.json"))
        XCTAssertFalse(exists("out/config.json"))
        // The checkpoint on disk holds finite weights (the diverged step was never applied).
        let weights = try Data(contentsOf: work.appending(path: "out/checkpoint/model.safetensors"))
        let headerSize = weights.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let floats = weights.dropFirst(8 + headerSize).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        XCTAssertFalse(floats.isEmpty)
        XCTAssertTrue(floats.allSatisfy(\.isFinite))
    }

    func testOptionsAreCheckedBeforeAnyWork() throws {
        let cases: [([String], String)] = [
            (["--max-length", "100"], "max_position_embeddings"),
            (["--mode", "layers:0"], "layers:0"),
            (["--metric", "bogus", "--dev", "dev.tsv"], "--metric bogus"),
            (["--metric", "accuracy"], "needs --dev"),
            (["--early-stopping", "2"], "needs --dev"),
            (["--lr", "inf"], "learning rate"),
            (["--lr", "nan"], "learning rate"),
            (["--max-grad-norm", "nan"], "max grad norm"),
            (["--max-grad-norm=-1"], "max grad norm"),
            (["--max-grad-norm", "inf"], "max grad norm"),
            (["--weight-decay", "nan"], "weight decay"),
            (["--weight-decay", "inf"], "weight decay"),
            (["--stop-after-steps", "0"], "stop-after-steps"),
        ]
        for (options, text) in cases {
            let result = try CLI.run(["train"] + Tiny.quick + ["--output", "out"] + options, in: work)
            assertFails(result, saying: text)
            XCTAssertFalse(result.stderr.contains("examples from"), "\(options): the data was read before the check")
            XCTAssertFalse(exists("out"), "\(options): --output was created")
        }
        let file = work.appending(path: "a-file")
        try Data().write(to: file)
        assertFails(try CLI.run(["train"] + Tiny.quick + ["--output", "a-file/out"], in: work), saying: "--output")
        assertFails(try CLI.run(["train"] + Tiny.quick + ["--output", "a-file"], in: work), saying: "is a file")
    }

    func testMixedNumericAndNamedLabelsAreRefused() throws {
        try "text\tlabel\ngood film\tpositive\nbad film\tnegative\nfine food\t1\nawful food\tnegative\n"
            .write(to: work.appending(path: "mixed.tsv"), atomically: true, encoding: .utf8)
        let result = try CLI.run(["train", "--task", "classify", "--model", "tiny", "--train", "mixed.tsv", "--output", "out"], in: work)
        assertFails(result, saying: "mixed.tsv:4")
        XCTAssertTrue(result.stderr.contains("mixes numbers and names"), result.stderr)
    }

    func testTrainingIntoAFinishedModelNeedsOverwrite() throws {
        try trained("out")
        let before = try Data(contentsOf: work.appending(path: "out/model.safetensors"))
        assertFails(try CLI.run(["train"] + Tiny.quick + ["--output", "out", "--seed", "7"], in: work), saying: "--overwrite")
        XCTAssertEqual(try Data(contentsOf: work.appending(path: "out/model.safetensors")), before)
        try trained("out", ["--seed", "7", "--overwrite"])
        XCTAssertNotEqual(try Data(contentsOf: work.appending(path: "out/model.safetensors")), before)
    }

    func testHandEditedModelFoldersAreRefused() throws {
        try trained("out")
        try trained("other", ["--seed", "3"])
        let fm = FileManager.default
        func variant(_ name: String, _ change: (URL) throws -> Void) throws -> String {
            try? fm.removeItem(at: work.appending(path: name))
            try fm.copyItem(at: work.appending(path: "out"), to: work.appending(path: name))
            try change(work.appending(path: name))
            return name
        }
        let cases: [(String, String)] = [
            (try variant("negative-length") { _ in try self.edit("negative-length/bertkit.json") { $0["max_length"] = -5 } }, "max_length"),
            (try variant("long-length") { _ in try self.edit("long-length/bertkit.json") { $0["max_length"] = 100_000 } }, "max_length"),
            (try variant("future-format") { _ in try self.edit("future-format/bertkit.json") { $0["format"] = 99 } }, "format 99"),
            (try variant("no-settings") { try fm.removeItem(at: $0.appending(path: "bertkit.json")) }, "bertkit.json: missing"),
            (try variant("mixed-weights") { folder in
                try fm.removeItem(at: folder.appending(path: "model.safetensors"))
                try fm.copyItem(at: self.work.appending(path: "other/model.safetensors"), to: folder.appending(path: "model.safetensors"))
            }, "another save"),
            (try variant("mixed-config") { folder in
                try fm.removeItem(at: folder.appending(path: "config.json"))
                try fm.copyItem(at: self.work.appending(path: "other/config.json"), to: folder.appending(path: "config.json"))
            }, "another save"),
            (try variant("nan-weights") { folder in
                // The last float of the last tensor becomes NaN; the size stays the same.
                let url = folder.appending(path: "model.safetensors")
                var data = try Data(contentsOf: url)
                data.replaceSubrange((data.count - 4)..<data.count, with: [0x00, 0x00, 0xC0, 0x7F])
                try data.write(to: url)
            }, "NaN"),
            (try variant("bad-settings") { folder in try Data("{\"format\": 2, \"head\": 3}".utf8).write(to: folder.appending(path: "bertkit.json")) }, "bertkit.json"),
        ]
        for (folder, text) in cases {
            let predict = try CLI.run(["predict", "--model", folder], input: "good film\n", in: work)
            assertFails(predict, saying: text)
            XCTAssertEqual(predict.stdout, "", folder)
            assertFails(try CLI.run(["eval", "--model", folder, "--data", "dev.tsv"], in: work), saying: text)
        }
        // The untouched folder still loads.
        XCTAssertEqual(try CLI.run(["predict", "--model", "out"], input: "good film\n", in: work).status, 0)
    }

    func testHandEditedTrainerStateIsRefused() throws {
        let stopped = try CLI.run(["train"] + Tiny.quick + ["--output", "run", "--stop-after-steps", "2"], in: work)
        XCTAssertEqual(stopped.status, 0, stopped.stderr)
        let state = "run/checkpoint/trainer_state.json"
        let original = try Data(contentsOf: work.appending(path: state))
        for (key, value, text) in [("epoch", -1, "\"epoch\""), ("epoch", 99, "\"epoch\""), ("nextBatch", -3, "\"nextBatch\""),
                                   ("globalStep", 40, "\"globalStep\"")] {
            try original.write(to: work.appending(path: state))
            try edit(state) { $0[key] = value }
            assertFails(try CLI.run(["train"] + Tiny.quick + ["--output", "run", "--resume"], in: work), saying: text)
            XCTAssertFalse(exists("run/bertkit.json"))
        }
        try original.write(to: work.appending(path: state))
        try edit(state) { $0["epoch"] = "one" }
        assertFails(try CLI.run(["train"] + Tiny.quick + ["--output", "run", "--resume"], in: work), saying: "\"epoch\"")

        try original.write(to: work.appending(path: state))
        try Tiny.table(count: 40, seed: 9).write(to: work.appending(path: "other.tsv"), atomically: true, encoding: .utf8)
        var options = Tiny.quick
        options[options.firstIndex(of: "train.tsv")!] = "other.tsv"
        assertFails(try CLI.run(["train"] + options + ["--output", "run", "--resume"], in: work), saying: "other training data")
        // With the same data and options, it resumes.
        XCTAssertEqual(try CLI.run(["train"] + Tiny.quick + ["--output", "run", "--resume"], in: work).status, 0)
    }

    func testConfigSizesAreCheckedBeforeAllocating() throws {
        let cases: [(String, Int, String)] = [
            ("vocab_size", 1_125_899_906_842_624, "vocab_size"),
            ("num_hidden_layers", 4_611_686_018_427_387_904, "num_hidden_layers"),
            ("hidden_size", -4, "hidden_size"),
            // Within the limits, but the checkpoint disagrees: refused before 2 GB are allocated
            // (the shell's 1 GB address-space limit would make that allocation fail).
            ("vocab_size", 16_000_000, "word_embeddings"),
            ("num_hidden_layers", 1000, "encoder.layer.2"),
            ("intermediate_size", 200_000, "intermediate"),
        ]
        for (key, value, text) in cases {
            try? FileManager.default.removeItem(at: work.appending(path: "big"))
            try FileManager.default.copyItem(at: work.appending(path: "tiny"), to: work.appending(path: "big"))
            try edit("big/config.json") { $0[key] = value }
            let embed = try CLI.shell("ulimit -v 1000000; \"$BERTKIT\" embed --model big < \"$BERTKIT_INPUT\"",
                                      input: Data("good film\n".utf8), in: work)
            assertFails(embed, saying: text)
            XCTAssertTrue(embed.stderr.contains("config.json") || embed.stderr.contains("model.safetensors"), embed.stderr)
            assertFails(try CLI.run(["train"] + Tiny.quick.map { $0 == "tiny" ? "big" : $0 } + ["--output", "out"], in: work), saying: text)
        }
    }

    func testInvalidUTF8IsReportedOnceOrRefused() throws {
        var input = Data("good film\n".utf8)
        input += Data([0x62, 0xFF, 0x64, 0x0A])   // "b\xFFd"
        input += Data([0xC3, 0x0A])                // a truncated sequence
        input += Data("fine\n".utf8)
        let lenient = try CLI.shell("\"$BERTKIT\" tokenize --model tiny < \"$BERTKIT_INPUT\"", input: input, in: work)
        XCTAssertEqual(lenient.status, 0, lenient.stderr)
        XCTAssertEqual(lenient.lines.count, 4)
        let warnings = lenient.errorLines.filter { $0.contains("UTF-8") }
        XCTAssertEqual(warnings.count, 1, lenient.stderr)
        XCTAssertTrue(warnings[0].contains("line 2"), warnings[0])
        let strict = try CLI.shell("\"$BERTKIT\" tokenize --strict --model tiny < \"$BERTKIT_INPUT\"", input: input, in: work)
        assertFails(strict, saying: "line 2: not valid UTF-8")
    }

    func testMalformedTokenizerJSONNamesTheLineAndColumn() throws {
        let folder = work.appending(path: "broken")
        try FileManager.default.copyItem(at: work.appending(path: "tiny"), to: folder)
        try Data("{\n  \"version\": \"1.0\",\n  \"model\": {\"type\": \"WordPiece\" \"vocab\": {}}\n}\n".utf8)
            .write(to: folder.appending(path: "tokenizer.json"))
        let result = try CLI.run(["tokenize", "--model", "broken"], input: "good\n", in: work)
        assertFails(result, saying: "tokenizer.json")
        XCTAssertTrue(result.stderr.contains("line 3, column"), result.stderr)
    }

    func testFailedWritesAreErrors() throws {
        try trained("out")
        let commands: [(String, String)] = [
            ("tokenize --model tiny", "good film\n"), ("embed --model tiny", "good film\n"), ("predict --model out", "good film\n"),
            ("eval --model out --data dev.tsv", ""), ("summary --model tiny", ""),
        ]
        for (command, input) in commands {
            let full = try CLI.shell("\"$BERTKIT\" \(command) < \"$BERTKIT_INPUT\" > /dev/full", input: Data(input.utf8), in: work)
            assertFails(full, saying: "No space left on device")
            let closed = try CLI.shell("\"$BERTKIT\" \(command) < \"$BERTKIT_INPUT\" >&-", input: Data(input.utf8), in: work)
            assertFails(closed, saying: "Bad file descriptor")
        }
    }

    func testClosedPipeEndsQuietlyAtTheFirstFailedWrite() throws {
        let lines = String(repeating: "good film\nthe service was really awful\n", count: 50_000)
        let full = try CLI.shell("\"$BERTKIT\" embed --model tiny < \"$BERTKIT_INPUT\" > /dev/null", input: Data(lines.utf8), in: work)
        XCTAssertEqual(full.status, 0, full.stderr)
        let piped = try CLI.shell("""
            { "$BERTKIT" embed --model tiny < "$BERTKIT_INPUT" 2> err; echo $? > status; } | head -n 1 > first
            cat status; cat err >&2; cat first
            """, input: Data(lines.utf8), in: work)
        XCTAssertEqual(piped.lines.first, "141", "killed by SIGPIPE, as Unix tools are")
        XCTAssertEqual(piped.stderr, "", "a closed pipe is not an error to report")
        XCTAssertTrue(piped.lines.last?.hasPrefix("{\"embedding\":") == true)
        // It stopped at the first failed write, not after embedding everything: far fewer lines' work.
        XCTAssertLessThan(piped.seconds, full.seconds / 2, "\(piped.seconds) s with the pipe closed, \(full.seconds) s for all")
    }
}
