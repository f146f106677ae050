import Foundation
import Tensor
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// embed, tokenize and predict read and answer stdin a window at a time.
final class CLIStreamingTests: XCTestCase {
    var work: URL!

    override func setUpWithError() throws { work = try Tiny.workFolder() }
    override func tearDown() { try? FileManager.default.removeItem(at: work) }

    /// Milliseconds from the start until each output line of `command`, fed "good film", then a
    /// 3 s pause, then "bad food".
    func arrivalTimes(_ command: String) throws -> [Int] {
        let result = try CLI.shell("""
            start=$(date +%s%N)
            { echo good film; sleep 3; echo bad food; } | "$BERTKIT" \(command) | while IFS= read -r line; do
                echo $(( ($(date +%s%N) - start) / 1000000 ))
            done
            """, in: work)
        XCTAssertEqual(result.status, 0, result.stderr)
        return result.lines.compactMap { Int($0) }
    }

    func testInteractiveInputIsAnsweredBeforeTheInputEnds() throws {
        let trained = try CLI.run(["train"] + Tiny.quick + ["--output", "out"], in: work)
        XCTAssertEqual(trained.status, 0, trained.stderr)
        for command in ["embed --model tiny", "tokenize --model tiny", "predict --model out"] {
            let times = try arrivalTimes(command)
            XCTAssertEqual(times.count, 2, command)
            guard times.count == 2 else { continue }
            // The first answer comes right after its line (plus the 0.1 s wait for more), not after the pause.
            XCTAssertLessThan(times[0], 2000, "\(command): first line after \(times[0]) ms")
            XCTAssertGreaterThanOrEqual(times[1], 3000, command)
        }
    }

    func testOrderIsKeptAcrossWindows() throws {
        let texts = ["good film", "the service was really not very good at all", "bad", "a nice film is a nice film"]
        func vector(_ line: String) throws -> [Double] { try XCTUnwrap(CLI.object(line)["embedding"] as? [Double]) }
        var expected: [String: [Double]] = [:]
        for text in texts {
            let alone = try CLI.run(["embed", "--model", "tiny"], input: text + "\n", in: work)
            expected[text] = try vector(alone.lines[0])
        }
        var g = SeededGenerator(seed: 5)
        let input = (0..<300).map { _ in texts[Int(g.next() % 4)] }
        // Batches of 2: windows of 8 lines, so 38 windows, each sorted by length inside.
        let result = try CLI.run(["embed", "--model", "tiny", "--batch-size", "2"], input: input.joined(separator: "\n") + "\n", in: work)
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.lines.count, input.count)
        for (i, (line, text)) in zip(result.lines, input).enumerated() {
            let difference = zip(try vector(line), expected[text]!).map { abs($0 - $1) }.max() ?? .infinity
            if difference > 1e-4 {
                XCTFail("line \(i + 1) (\(text)) differs from its own embedding by \(difference)")
                break
            }
        }
    }

    func testLastLineWithoutNewlineAndEmptyInput() throws {
        let result = try CLI.run(["tokenize", "--model", "tiny"], input: "good\nbad", in: work)
        XCTAssertEqual(result.lines.count, 2)
        let empty = try CLI.run(["embed", "--model", "tiny"], input: "", in: work)
        XCTAssertEqual(empty.status, 0)
        XCTAssertEqual(empty.stdout, "")
    }

    /// Peak RSS (KiB) of `bertkit embed` over `lines` input lines, measured by wait4.
    func peakResidentKiB(lines: Int) throws -> Int {
        let input = work.appending(path: "input-\(lines).txt")
        let texts = ["good film", "the service was really awful", "a very nice film", "bad food"]
        try (0..<lines).map { texts[$0 % 4] + " \($0 % 97)" }.joined(separator: "\n").appending("\n")
            .write(to: input, atomically: true, encoding: .utf8)
        let binary = try CLI.binary().path
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, input.path, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let arguments = [binary, "embed", "--model", work.appending(path: "tiny").path, "--threads", "1"]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for p in argv { free(p) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, binary, &actions, nil, &argv, environ)
        XCTAssertEqual(spawned, 0)
        var status: Int32 = 0
        var usage = rusage()
        XCTAssertEqual(wait4(pid, &status, 0, &usage), pid)
        XCTAssertEqual(status, 0, "embed over \(lines) lines failed")
        return usage.ru_maxrss
    }

    func testPeakMemoryDoesNotGrowWithTheInput() throws {
        let small = try peakResidentKiB(lines: 2_000)
        let large = try peakResidentKiB(lines: 60_000)
        XCTAssertLessThanOrEqual(Double(large), 1.2 * Double(small), "peak RSS \(small) KiB over 2k lines, \(large) KiB over 60k")
    }
}
