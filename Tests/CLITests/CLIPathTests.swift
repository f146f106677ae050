import Foundation
import XCTest

/// Outputs that would destroy an input are refused before any work; temporary files a killed
/// write left are removed by the next write there; inputs that are not files say so.
final class CLIPathTests: XCTestCase {
    var work: URL!

    override func setUpWithError() throws { work = try Tiny.workFolder() }
    override func tearDown() { try? FileManager.default.removeItem(at: work) }

    func testOutputsThatAreInputsAreRefused() throws {
        let before = try Data(contentsOf: work.appending(path: "tiny/model.safetensors"))
        try "good film\n".write(to: work.appending(path: "texts.txt"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: work.appending(path: "link").path, withDestinationPath: "tiny")
        let cases: [([String], String)] = [
            (["train"] + Tiny.quick + ["--output", "tiny"], "--output tiny is --model"),
            (["train"] + Tiny.quick + ["--output", "./link/"], "--output ./link/ is --model"),
            (["merge", "--model", "tiny", "--adapter", "tiny", "--output", "link", "--overwrite"], "--output link is --adapter"),
            (["merge", "--model", "tiny", "--adapter", "adapter", "--output", "tiny"], "--output tiny is --model"),
            (["embed", "--model", "tiny", "--input", "texts.txt", "--output", "texts.txt"], "--output texts.txt is --input"),
            (["embed", "--model", "tiny", "--input", "texts.txt", "--output", "link/../texts.txt"], "is --input"),
        ]
        for (arguments, text) in cases {
            let result = try CLI.run(arguments, in: work)
            assertFails(result, saying: text)
        }
        XCTAssertEqual(try Data(contentsOf: work.appending(path: "tiny/model.safetensors")), before)
        XCTAssertEqual(try String(contentsOf: work.appending(path: "texts.txt"), encoding: .utf8), "good film\n")
    }

    func testLeftoverTemporaryFileIsRemovedByTheNextWrite() throws {
        let leftover = work.appending(path: ".out.jsonl.\(UUID().uuidString).tmp")
        try Data(repeating: 7, count: 100).write(to: leftover)
        let result = try CLI.run(["embed", "--model", "tiny", "--output", "out.jsonl"], input: "good film\n", in: work)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: leftover.path))
        XCTAssertTrue(FileManager.default.fileExists(atPath: work.appending(path: "out.jsonl").path))
    }

    func testFolderAsInputIsNamed() throws {
        assertFails(try CLI.run(["embed", "--model", "tiny", "--input", "tiny"], in: work), saying: "--input tiny is a folder")
    }

    /// A folder or a named pipe where a whole file is read (training data, a model's config.json)
    /// is an error naming it; the pipe is refused before a read that would wait for a writer.
    func testFolderOrPipeWhereAFileIsReadIsNamed() throws {
        try FileManager.default.createDirectory(at: work.appending(path: "folder.tsv"), withIntermediateDirectories: true)
        XCTAssertEqual(mkfifo(work.appending(path: "pipe.tsv").path, 0o600), 0)
        let quick = Tiny.quick.filter { $0 != "train.tsv" }
        for (data, text) in [("folder.tsv", "folder.tsv: is a folder, not a file"), ("pipe.tsv", "pipe.tsv: is a named pipe (FIFO)")] {
            let arguments = ["train"] + quick.map { $0 == "--train" ? "--train=\(data)" : $0 } + ["--output", "out"]
            assertFails(try CLI.run(arguments, in: work), saying: text)
        }

        // Weights are memory-mapped, not read: a pipe there must be refused without waiting for a writer
        // (`timeout` keeps the old hang finite).
        let fifoModel = work.appending(path: "fifo-model")
        try FileManager.default.copyItem(at: work.appending(path: "tiny"), to: fifoModel)
        let weights = fifoModel.appending(path: "model.safetensors")
        try FileManager.default.removeItem(at: weights)
        XCTAssertEqual(mkfifo(weights.path, 0o600), 0)
        let piped = try CLI.shell("exec timeout 60 \"$BERTKIT\" \"$@\" < \"$BERTKIT_INPUT\"",
                                  arguments: ["embed", "--model", fifoModel.path], input: Data("good film\n".utf8), in: work)
        assertFails(piped, saying: "model.safetensors: is a named pipe (FIFO), not a regular file")

        let config = work.appending(path: "tiny/config.json")
        try FileManager.default.removeItem(at: config)
        XCTAssertEqual(mkfifo(config.path, 0o600), 0)
        assertFails(try CLI.run(["embed", "--model", "tiny"], input: "good film\n", in: work),
                    saying: "config.json: is a named pipe (FIFO), not a regular file")
    }

    /// A line over --max-line-bytes is refused at once, naming it; `/dev/zero` (one endless line)
    /// fails fast instead of growing.
    func testLongLinesAreRefused() throws {
        let long = String(repeating: "good ", count: 400)
        let tokenize = try CLI.run(["tokenize", "--model", "tiny", "--max-line-bytes", "1000"], input: "fine\n\(long)\nbad\n", in: work)
        assertFails(tokenize, saying: "standard input, line 2: longer than 1000 bytes (--max-line-bytes)")
        let ok = try CLI.run(["tokenize", "--model", "tiny", "--max-line-bytes", "3000"], input: "fine\n\(long)\n", in: work)
        XCTAssertEqual(ok.status, 0, ok.stderr)
        let zero = try CLI.run(["embed", "--model", "tiny", "--input", "/dev/zero"], in: work)
        assertFails(zero, saying: "/dev/zero, line 1: longer than 8388608 bytes")
        XCTAssertLessThan(zero.seconds, 10)
        assertFails(try CLI.run(["tokenize", "--model", "tiny", "--max-line-bytes", "0"], in: work), saying: "--max-line-bytes")
    }
}
