import Tensor
@testable import Transfer
import XCTest

/// How a global batch is cut between data-parallel ranks (the cut changes who computes what, never
/// the result: CLIDataParallelTests checks that under mpirun).
final class DataParallelShareTests: XCTestCase {
    /// The padded size of a share: examples × the longest.
    func padded(_ lengths: [Int], _ range: Range<Int>) -> Int {
        range.isEmpty ? 0 : range.count * lengths[range].max()!
    }

    func testSharesCoverTheBatchInOrderAndEvenThePaddedSizes() {
        // One long example first: an even count split (4 + 4) pads the first share to 8 × 60.
        let lengths = [60, 10, 12, 9, 11, 10, 8, 12]
        let shares = Trainer.balancedShares(lengths: lengths, parts: 2)
        XCTAssertEqual(shares.count, 2)
        XCTAssertEqual(shares[0].lowerBound, 0)
        XCTAssertEqual(shares[0].upperBound, shares[1].lowerBound)
        XCTAssertEqual(shares[1].upperBound, lengths.count)
        XCTAssertEqual(shares, [0..<1, 1..<8])
        XCTAssertEqual(shares.map { padded(lengths, $0) }.max(), 84)   // 7 × 12, against 4 × 60 for halves
    }

    func testEqualLengthsSplitEvenly() {
        XCTAssertEqual(Trainer.balancedShares(lengths: [Int](repeating: 16, count: 32), parts: 2), [0..<16, 16..<32])
        XCTAssertEqual(Trainer.balancedShares(lengths: [Int](repeating: 16, count: 9), parts: 3), [0..<3, 3..<6, 6..<9])
    }

    func testMoreRanksThanExamplesLeavesSomeSharesEmpty() {
        let shares = Trainer.balancedShares(lengths: [5, 7], parts: 4)
        XCTAssertEqual(shares.count, 4)
        XCTAssertEqual(shares.filter { !$0.isEmpty }.map(\.count), [1, 1])
        XCTAssertEqual(shares.flatMap { Array($0) }, [0, 1])
        XCTAssertEqual(Trainer.balancedShares(lengths: [], parts: 2).flatMap { Array($0) }, [])
        XCTAssertEqual(Trainer.balancedShares(lengths: [3, 4, 5], parts: 1), [0..<3])
    }

    /// Against every cut of a small batch: no other cut has a smaller largest share.
    func testTheCutIsOptimal() {
        var g = SeededGenerator(seed: 11)   // the same 50 batches every run
        for _ in 0..<50 {
            let lengths = (0..<Int.random(in: 2...12, using: &g)).map { _ in Int.random(in: 1...64, using: &g) }
            let shares = Trainer.balancedShares(lengths: lengths, parts: 2)
            let best = (0...lengths.count).map { max(padded(lengths, 0..<$0), padded(lengths, $0..<lengths.count)) }.min()!
            XCTAssertEqual(shares.map { padded(lengths, $0) }.max(), best, "\(lengths)")
        }
    }

    /// Ranks on one host each sum and step a part of every parameter: the parts tile it, in rank
    /// order, cut at cache lines, and are as even as those cuts allow.
    func testOptimizerPartsTileEveryParameter() {
        let alignment = SharedOptimizerState.alignment
        for size in 1...5 {
            for count in [1, 2, 15, 16, 17, 100, 384, 1536, 30522 * 384] {
                let parts = (0..<size).map { SharedOptimizerState.part(of: count, rank: $0, size: size) }
                XCTAssertEqual(parts.first?.lowerBound, 0)
                XCTAssertEqual(parts.last?.upperBound, count)
                for (a, b) in zip(parts, parts.dropFirst()) { XCTAssertEqual(a.upperBound, b.lowerBound, "\(count) on \(size)") }
                for part in parts.dropLast() { XCTAssertEqual(part.upperBound % alignment, 0, "\(count) on \(size)") }
                XCTAssertLessThanOrEqual(parts.map(\.count).max()! - count / size, alignment * 2, "\(count) on \(size)")
            }
        }
    }
}
