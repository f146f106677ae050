import Foundation
import Tensor
import TestSupport
import XCTest

/// `bertkit train --task embedding` under `mpirun`: the ranks gather their vectors, so the in-batch
/// negatives are the global batch's, and two ranks train the weights one process trains. Opt-in, as
/// CLIDataParallelTests: `BERTKIT_MPI_TESTS=1` (after scripts/bootstrap-mpi); without it only the
/// single-process half runs.
final class CLIEmbeddingDataParallelTests: XCTestCase {
    /// 42 pairs over 21 distinct positives in global batches of 7 (shares of 4 and 3 on 2 ranks), 2 epochs,
    /// hard negatives, the symmetric loss, dropout 0.1 on.
    static let options = ["train", "--task", "embedding", "--model", "tiny", "--train", "pairs.tsv", "--epochs", "2",
                          "--batch-size", "7", "--lr", "1e-3", "--seed", "5", "--threads", "1", "--symmetric"]

    static func work() throws -> URL {
        let dir = try Tiny.workFolder()
        var g = SeededGenerator(seed: 11)
        func sentence() -> String { (0..<4).map { _ in Tiny.words[Int(g.next() % UInt64(Tiny.words.count))] }.joined(separator: " ") }
        let positives = (0..<21).map { _ in sentence() }
        var rows = ["anchor\tpositive\tnegative"]
        for i in 0..<42 { rows.append("\(sentence())\t\(positives[i % 21])\t\(sentence())") }
        try (rows.joined(separator: "\n") + "\n").write(to: dir.appending(path: "pairs.tsv"), atomically: true, encoding: .utf8)
        return dir
    }

    func testTwoRanksTrainTheWeightsOfOneProcess() throws {
        let dir = try Self.work()
        defer { try? FileManager.default.removeItem(at: dir) }
        let single = try CLI.run(Self.options + ["--output", "single"], in: dir)
        XCTAssertEqual(single.status, 0, single.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appending(path: "single/modules.json").path))
        // The batch order changes the weights (so the comparison below is not vacuous).
        let reseeded = try CLI.run(Self.options + ["--output", "reseeded", "--seed", "6"], in: dir)
        XCTAssertEqual(reseeded.status, 0, reseeded.stderr)
        XCTAssertGreaterThan(try CLIDataParallelTests.relativeDifference(dir.appending(path: "single"), dir.appending(path: "reseeded")), 1e-3)
        guard ProcessInfo.processInfo.environment["BERTKIT_MPI_TESTS"] == "1" else { return }
        let ranks = try CLIDataParallelTests.mpirun(Self.options + ["--output", "ranks"], in: dir)
        XCTAssertEqual(ranks.status, 0, ranks.stderr)
        XCTAssertTrue(ranks.stderr.contains("rank 1 of 2: gradient sum"), ranks.stderr)
        let difference = try CLIDataParallelTests.relativeDifference(dir.appending(path: "single"), dir.appending(path: "ranks"))
        print("embedding training, 2 ranks vs 1 process: max relative weight difference \(difference)")
        XCTAssertLessThanOrEqual(difference, 1e-5)
    }
}
