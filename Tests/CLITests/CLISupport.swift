import Foundation
import Tensor   // SeededGenerator, the project's SplitMix64
import TestSupport
import XCTest

/// The built `bertkit` binary, run as a process.
enum CLI {
    /// The binary in the build products folder (beside the test bundle), or `BERTKIT_BINARY`.
    static func binary() throws -> URL {
        if let path = ProcessInfo.processInfo.environment["BERTKIT_BINARY"] { return URL(fileURLWithPath: path) }
        var candidates: [URL] = []
        for start in [Bundle.main.bundleURL, Bundle(for: Marker.self).bundleURL,
                      URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0])] {
            var folder = start.deletingLastPathComponent()
            for _ in 0..<3 {
                candidates.append(folder.appending(path: "bertkit"))
                folder.deleteLastPathComponent()
            }
        }
        if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) { return found }
        throw CLIError(
            "the bertkit binary is missing (looked in \(Set(candidates.map { $0.deletingLastPathComponent().path }).sorted().joined(separator: ", "))); "
                + "build it with `swift build -c release`, or set BERTKIT_BINARY")
    }

    final class Marker {}

    struct Result {
        var status: Int32
        var signalled: Bool
        var stdout: String
        var stderr: String
        var seconds: Double
        var lines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init) }
        /// stderr's lines, progress output left out.
        var errorLines: [String] { stderr.split(separator: "\n").map(String.init) }
    }

    /// Runs `bertkit arguments…` with `input` on stdin, in `folder` (the shell execs it, so a
    /// signal that kills it shows in the result).
    @discardableResult
    static func run(_ arguments: [String], input: String = "", in folder: URL? = nil, environment: [String: String] = [:]) throws -> Result {
        try shell("exec \"$BERTKIT\" \"$@\" < \"$BERTKIT_INPUT\"", arguments: arguments, input: Data(input.utf8), in: folder, environment: environment)
    }

    /// Runs a shell command line with `$BERTKIT` set to the binary, `$BERTKIT_INPUT` to a file
    /// holding `input`, and `arguments` as `$@`.
    static func shell(_ command: String, arguments: [String] = [], input: Data = Data(), in folder: URL? = nil,
                      environment: [String: String] = [:]) throws -> Result {
        let work = FileManager.default.temporaryDirectory.appending(path: "bertkit-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        let inputFile = work.appending(path: "stdin"), out = work.appending(path: "stdout"), err = work.appending(path: "stderr")
        try input.write(to: inputFile)
        XCTAssertTrue(FileManager.default.createFile(atPath: out.path, contents: nil), out.path)
        XCTAssertTrue(FileManager.default.createFile(atPath: err.path, contents: nil), err.path)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command, "sh"] + arguments
        var env = ProcessInfo.processInfo.environment
        env["BERTKIT"] = try binary().path
        env["BERTKIT_INPUT"] = inputFile.path
        env["BERTKIT_THREADS"] = "1"
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.currentDirectoryURL = folder
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        let start = Date()
        try process.run()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal,
                      stdout: String(decoding: try Data(contentsOf: out), as: UTF8.self),
                      stderr: String(decoding: try Data(contentsOf: err), as: UTF8.self),
                      seconds: Date().timeIntervalSince(start))
    }

    /// The JSON object of one output line.
    static func object(_ line: String, file: StaticString = #filePath, line number: UInt = #line) throws -> [String: Any] {
        let value = try JSONSerialization.jsonObject(with: Data(line.utf8))
        guard let object = value as? [String: Any] else {
            XCTFail("not a JSON object: \(line)", file: file, line: number)
            return [:]
        }
        return object
    }
}

struct CLIError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// A tiny BERT (the Models fixture) with a 99-token vocabulary and a small sentiment task.
enum Tiny {
    static let words = ["good", "great", "fine", "love", "nice", "bad", "awful", "poor", "hate", "dull",
                        "the", "film", "food", "was", "is", "a", "very", "not", "really", "service"]

    /// A fresh work folder holding `tiny/` (the model) and `train.tsv`, `dev.tsv`.
    static func workFolder() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appending(path: "bertkit-cli-work-\(UUID().uuidString)")
        let model = dir.appending(path: "tiny")
        try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
        let source = TestPaths.packageRoot.appending(path: "Tests/ModelsTests/Fixtures/tiny-bert")
        for name in ["config.json", "model.safetensors"] {
            try FileManager.default.copyItem(at: source.appending(path: name), to: model.appending(path: name))
        }
        var vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + words
        vocab += (0..<(99 - vocab.count)).map { "w\($0)" }
        try (vocab.joined(separator: "\n") + "\n").write(to: model.appending(path: "vocab.txt"), atomically: true, encoding: .utf8)
        try table(count: 48, seed: 1).write(to: dir.appending(path: "train.tsv"), atomically: true, encoding: .utf8)
        try table(count: 16, seed: 2).write(to: dir.appending(path: "dev.tsv"), atomically: true, encoding: .utf8)
        return dir
    }

    /// Sentences labelled by which kind of word they hold, as a TSV with a header.
    static func table(count: Int, seed: UInt64, labels: (String, String) = ("positive", "negative")) -> String {
        var g = SeededGenerator(seed: seed)
        var rows = ["text\tlabel"]
        for i in 0..<count {
            let good = i % 2 == 0
            var text = (0..<3).map { _ in words[10 + Int(g.next() % 10)] }
            text.insert(words[(good ? 0 : 5) + Int(g.next() % 5)], at: Int(g.next() % 4))
            rows.append(text.joined(separator: " ") + "\t" + (good ? labels.0 : labels.1))
        }
        return rows.joined(separator: "\n") + "\n"
    }

    /// Training options that finish in well under a second.
    static let quick = ["--task", "classify", "--model", "tiny", "--train", "train.tsv", "--epochs", "2", "--batch-size", "16",
                        "--lr", "1e-3", "--threads", "1"]
}

/// Assertions on a failed command: a non-zero status, no signal, and one line on stderr holding `text`.
func assertFails(_ result: CLI.Result, saying text: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertFalse(result.signalled, "killed by signal \(result.status): \(result.stderr)", file: file, line: line)
    XCTAssertNotEqual(result.status, 0, "exit 0; stderr: \(result.stderr)", file: file, line: line)
    let errors = result.errorLines.filter { $0.hasPrefix("bertkit: error:") || $0.hasPrefix("Error:") }
    XCTAssertEqual(errors.count, 1, "one error line expected in: \(result.stderr)", file: file, line: line)
    XCTAssertTrue(result.stderr.contains(text), "stderr lacks \"\(text)\": \(result.stderr)", file: file, line: line)
}

