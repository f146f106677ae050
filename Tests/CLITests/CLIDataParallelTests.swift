import Checkpoints
import Foundation
import TestSupport
import XCTest

/// `bertkit train` and `bertkit embed` under `mpirun` (issue 16). The runs under mpirun need Open MPI
/// (`scripts/bootstrap-mpi`) and are opt-in: `BERTKIT_MPI_TESTS=1` (CI's script sets it after installing
/// MPI). Without it, each test runs its single-process half, which must hold either way.
final class CLIDataParallelTests: XCTestCase {
    /// 70 examples in global batches of 7 (shares of 4 and 3 on 2 ranks), 2 epochs: 20 steps, dropout 0.1 on.
    static let options = ["train", "--task", "classify", "--model", "tiny", "--train", "train70.tsv", "--epochs", "2",
                          "--batch-size", "7", "--lr", "1e-3", "--seed", "5", "--threads", "1"]

    var mpiEnabled: Bool { ProcessInfo.processInfo.environment["BERTKIT_MPI_TESTS"] == "1" }

    static func work() throws -> URL {
        let dir = try Tiny.workFolder()
        try Tiny.table(count: 70, seed: 3).write(to: dir.appending(path: "train70.tsv"), atomically: true, encoding: .utf8)
        return dir
    }

    /// `mpirun -np 2 bertkit …`, as root in CI.
    static func mpirun(_ arguments: [String], ranks: Int = 2, in folder: URL, environment: [String: String] = [:]) throws -> CLI.Result {
        try CLI.shell("exec mpirun --allow-run-as-root --oversubscribe -np \(ranks) \"$BERTKIT\" \"$@\"", arguments: arguments,
                      in: folder, environment: environment)
    }

    /// Max over parameters of max|a − b| / max|a|: the relative difference of two saved models.
    static func relativeDifference(_ a: URL, _ b: URL) throws -> Double {
        let x = try SafeTensorsFile(url: a.appending(path: "model.safetensors"))
        let y = try SafeTensorsFile(url: b.appending(path: "model.safetensors"))
        XCTAssertEqual(x.keys.sorted(), y.keys.sorted())
        var worst = 0.0
        for key in x.keys {
            let u = try x.floats(key), v = try y.floats(key)
            XCTAssertEqual(u.count, v.count, key)
            let scale = Double(u.map { abs($0) }.max() ?? 0)
            let diff = zip(u, v).map { Double(abs($0 - $1)) }.max() ?? 0
            worst = max(worst, scale > 0 ? diff / scale : diff)
        }
        return worst
    }

    func testTwoRanksTrainTheWeightsOfOneProcess() throws {
        let dir = try Self.work()
        defer { try? FileManager.default.removeItem(at: dir) }
        let single = try CLI.run(Self.options + ["--output", "single"], in: dir)
        XCTAssertEqual(single.status, 0, single.stderr)
        guard mpiEnabled else { return }
        // Each way of summing against one process: the run says which way it took.
        // - 2 ranks on one host sum and step in shared memory; without it (turned off, or no such folder),
        //   allreduce sums and every rank takes the whole step;
        // - 4 ranks as 2 hosts of 2 (BERTKIT_RANKS_PER_HOST): each host sums in its own shared memory, then
        //   rank k of each host allreduces its part with rank k of the other;
        // - 3 ranks as hosts of 2 and 1, which cannot split alike: allreduce alone.
        let ways: [(ranks: Int, output: String, environment: [String: String], says: String)] = [
            (2, "ranks", [:], "in memory the ranks of this host share"),
            (2, "replicated", ["BERTKIT_SHARED_STEP": "0"], "by MPI allreduce, optimizer step taken whole by every rank"),
            (2, "no-shm", ["BERTKIT_SHM_DIR": "/nonexistent"], "no memory shared by the ranks (/nonexistent/bertkit-"),
            (4, "hosts", ["BERTKIT_RANKS_PER_HOST": "2"], "then by MPI allreduce among the 2 hosts, optimizer step split among them"),
            (3, "uneven", ["BERTKIT_RANKS_PER_HOST": "2"], "by MPI allreduce, optimizer step taken whole by every rank"),
        ]
        for way in ways {
            let run = try Self.mpirun(Self.options + ["--output", way.output], ranks: way.ranks, in: dir, environment: way.environment)
            XCTAssertEqual(run.status, 0, run.stderr)
            XCTAssertTrue(run.stderr.contains("rank \(way.ranks - 1) of \(way.ranks): gradient sum"), run.stderr)
            XCTAssertTrue(run.stderr.contains(way.says), run.stderr)
            let difference = try Self.relativeDifference(dir.appending(path: "single"), dir.appending(path: way.output))
            print("\(way.ranks) ranks (\(way.output): \(way.says)) vs 1 process, 20 steps with dropout: max relative weight difference \(difference)")
            XCTAssertLessThanOrEqual(difference, 1e-5)
        }

        // Ranks whose settings differ (an MPMD launch) take rank 0's, rather than start sums that do not
        // match (which hung: a blocking allreduce against non-blocking ones). `timeout` keeps a hang finite.
        let mixed = try CLI.shell("exec timeout 120 mpirun --allow-run-as-root --oversubscribe "
                                  + "-np 1 -x BERTKIT_SHARED_STEP=0 -x BERTKIT_BUCKET_MB=1 -x BERTKIT_ALLREDUCE=overlap \"$BERTKIT\" \"$@\" "
                                  + ": -np 1 \"$BERTKIT\" \"$@\"", arguments: Self.options + ["--output", "mixed"], in: dir)
        XCTAssertEqual(mixed.status, 0, mixed.stderr)
        XCTAssertEqual(mixed.stderr.components(separatedBy: "by MPI allreduce, optimizer step taken whole by every rank").count, 3, mixed.stderr)
        XCTAssertLessThanOrEqual(try Self.relativeDifference(dir.appending(path: "single"), dir.appending(path: "mixed")), 1e-5)

        // With a dev set, evaluated each epoch: the ranks share the batches and get the metrics one process gets.
        try Tiny.table(count: 30, seed: 4).write(to: dir.appending(path: "dev30.tsv"), atomically: true, encoding: .utf8)
        let dev = ["--dev", "dev30.tsv"]
        let singleDev = try CLI.run(Self.options + dev + ["--output", "single-dev"], in: dir)
        XCTAssertEqual(singleDev.status, 0, singleDev.stderr)
        let ranksDev = try Self.mpirun(Self.options + dev + ["--output", "ranks-dev"], in: dir)
        XCTAssertEqual(ranksDev.status, 0, ranksDev.stderr)
        func evaluations(_ output: String) throws -> [[String: Double]] {
            let report = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: dir.appending(path: "\(output)/report.json"))) as? [String: Any])
            let history = try XCTUnwrap(report["history"] as? [String: Any], "\(report.keys)")
            let all = try XCTUnwrap(history["evaluations"] as? [[String: Any]], "\(history.keys)")
            XCTAssertEqual(all.count, 2, "one evaluation per epoch")
            return try all.map { try XCTUnwrap($0["metrics"] as? [String: Double], "\($0)") }
        }
        XCTAssertEqual(try evaluations("ranks-dev"), try evaluations("single-dev"))
        XCTAssertLessThanOrEqual(try Self.relativeDifference(dir.appending(path: "single-dev"), dir.appending(path: "ranks-dev")), 1e-5)

        // Two batches a step: allreduce sums the accumulated gradients, and the ranks split the step.
        let accumulate = ["--gradient-accumulation", "2"]
        let single2 = try CLI.run(Self.options + accumulate + ["--output", "single2"], in: dir)
        XCTAssertEqual(single2.status, 0, single2.stderr)
        let accumulated = try Self.mpirun(Self.options + accumulate + ["--output", "accumulated"], in: dir)
        XCTAssertEqual(accumulated.status, 0, accumulated.stderr)
        XCTAssertTrue(accumulated.stderr.contains("by MPI allreduce, optimizer step split among the ranks of this host"), accumulated.stderr)
        let difference = try Self.relativeDifference(dir.appending(path: "single2"), dir.appending(path: "accumulated"))
        print("2 ranks vs 1 process, 2 batches a step: max relative weight difference \(difference)")
        XCTAssertLessThanOrEqual(difference, 1e-5)
    }

    /// Rank 1 dies (SIGKILL) after step 12; the job stops, naming it, and `--resume` ends with the
    /// weights of an uninterrupted single process.
    func testKilledRankStopsTheJobAndResumeFinishes() throws {
        let dir = try Self.work()
        defer { try? FileManager.default.removeItem(at: dir) }
        let single = try CLI.run(Self.options + ["--output", "single"], in: dir)
        XCTAssertEqual(single.status, 0, single.stderr)
        guard mpiEnabled else { return }
        let resumable = Self.options + ["--output", "ranks", "--checkpoint-every", "5"]
        let killed = try Self.mpirun(resumable, in: dir, environment: ["BERTKIT_KILL_RANK_AT_STEP": "1:12"])
        let end = Date().timeIntervalSince1970
        XCTAssertNotEqual(killed.status, 0, killed.stderr)
        let marker = try XCTUnwrap(killed.stderr.split(separator: "\n").first { $0.contains("killing itself") }, killed.stderr)
        let killedAt = try XCTUnwrap(Double(marker.split(separator: " ").last!))
        print("rank 1 killed: job stopped \(String(format: "%.2f", end - killedAt)) s later; mpirun said: "
              + killed.stderr.split(separator: "\n").filter { $0.contains("rank 1") || $0.contains("signal 9") }.joined(separator: " | "))
        XCTAssertLessThan(end - killedAt, 30)
        XCTAssertTrue(killed.stderr.contains("rank 1"), killed.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appending(path: "ranks/checkpoint/trainer_state.json").path))
        let resumed = try Self.mpirun(resumable + ["--resume"], in: dir)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        let difference = try Self.relativeDifference(dir.appending(path: "single"), dir.appending(path: "ranks"))
        print("after kill -9 and --resume: max relative weight difference \(difference)")
        XCTAssertLessThanOrEqual(difference, 1e-5)
    }

    /// `embed --input FILE --output FILE` writes what stdin → stdout does; under mpirun, byte for byte too.
    func testShardedEmbeddingIsByteIdentical() throws {
        let dir = try Tiny.workFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = Tiny.table(count: 150, seed: 9).split(separator: "\n").dropFirst().map { $0.split(separator: "\t")[0] }
            .joined(separator: "\n") + "\n"
        try text.write(to: dir.appending(path: "lines.txt"), atomically: true, encoding: .utf8)
        let arguments = ["embed", "--model", "tiny", "--batch-size", "8"]
        let piped = try CLI.run(arguments, input: text, in: dir)
        XCTAssertEqual(piped.status, 0, piped.stderr)
        XCTAssertEqual(piped.lines.count, 150)
        let filed = try CLI.run(arguments + ["--input", "lines.txt", "--output", "one.jsonl"], in: dir)
        XCTAssertEqual(filed.status, 0, filed.stderr)
        XCTAssertEqual(filed.stdout, "")
        XCTAssertEqual(try Data(contentsOf: dir.appending(path: "one.jsonl")), Data(piped.stdout.utf8))
        guard mpiEnabled else { return }
        let sharded = try Self.mpirun(arguments + ["--input", "lines.txt", "--output", "two.jsonl"], in: dir)
        XCTAssertEqual(sharded.status, 0, sharded.stderr)
        XCTAssertEqual(try Data(contentsOf: dir.appending(path: "two.jsonl")), Data(piped.stdout.utf8))
        let noFile = try Self.mpirun(arguments, in: dir)
        XCTAssertNotEqual(noFile.status, 0)
        XCTAssertTrue(noFile.stderr.contains("give --input FILE"), noFile.stderr)
    }

    /// With the demo model, whose products are large enough to be split across cores: `mpirun -np 2`
    /// (a thread per rank) writes the bytes of one process at its default threads, and so does one
    /// process at 1 thread in batches of 7 (README, "Same bytes").
    func testDemoModelEmbeddingsAreTheSameBytesOnAnyRanksThreadsAndBatches() throws {
        let dir = try Tiny.workFolder()
        defer { try? FileManager.default.removeItem(at: dir) }
        let table = try String(contentsOf: TestPaths.packageRoot.appending(path: "examples/sentiment/train.tsv"), encoding: .utf8)
        let lines = table.split(separator: "\n").dropFirst().prefix(200).map { $0.split(separator: "\t")[0] }
        try (lines.joined(separator: "\n") + "\n").write(to: dir.appending(path: "lines.txt"), atomically: true, encoding: .utf8)
        let arguments = ["embed", "--model", try TestPaths.demoModel().path, "--input", "lines.txt"]
        let one = try CLI.run(arguments + ["--output", "default.jsonl"], in: dir)
        XCTAssertEqual(one.status, 0, one.stderr)
        let reference = try Data(contentsOf: dir.appending(path: "default.jsonl"))
        XCTAssertEqual(reference.split(separator: UInt8(ascii: "\n")).count, 200)
        let serial = try CLI.run(arguments + ["--output", "serial.jsonl", "--threads", "1", "--batch-size", "7"], in: dir)
        XCTAssertEqual(serial.status, 0, serial.stderr)
        XCTAssertEqual(try Data(contentsOf: dir.appending(path: "serial.jsonl")), reference, "1 thread, batches of 7")
        guard mpiEnabled else { return }
        let ranks = try Self.mpirun(arguments + ["--output", "ranks.jsonl"], in: dir)
        XCTAssertEqual(ranks.status, 0, ranks.stderr)
        XCTAssertEqual(try Data(contentsOf: dir.appending(path: "ranks.jsonl")), reference, "2 ranks")
    }

    /// Ranks that run different arguments, or read files that differ under the same name (an MPMD
    /// launch from two folders), stop before any work with rank 0's one line naming the difference.
    func testRanksThatDisagreeStopWithOneLine() throws {
        guard mpiEnabled else { return }
        let dir = try Self.work()
        defer { try? FileManager.default.removeItem(at: dir) }
        let other = dir.appending(path: "other")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        try "good film\nbad food\n".write(to: dir.appending(path: "in.txt"), atomically: true, encoding: .utf8)
        try "good film\nbad film\n".write(to: other.appending(path: "in.txt"), atomically: true, encoding: .utf8)
        let model = dir.appending(path: "tiny").path
        let launch = "exec timeout 120 mpirun --allow-run-as-root --oversubscribe "
        let files = try CLI.shell(launch + "-np 1 -wdir \"$PWD\" \"$BERTKIT\" \"$@\" : -np 1 -wdir \"$PWD/other\" \"$BERTKIT\" \"$@\"",
                                  arguments: ["embed", "--model", model, "--input", "in.txt", "--output", "out.jsonl"], in: dir)
        assertFails(files, saying: "MPI: the ranks disagree on --input in.txt: rank 0 has 19 bytes")
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appending(path: "out.jsonl").path))
        let arguments = try CLI.shell(launch + "-np 1 \"$BERTKIT\" \"$@\" --batch-size 2 : -np 1 \"$BERTKIT\" \"$@\" --batch-size 3",
                                      arguments: ["embed", "--model", model, "--input", "in.txt"], in: dir)
        assertFails(arguments, saying: "MPI: the ranks disagree on the arguments: rank 0 has embed --model")
    }
}
