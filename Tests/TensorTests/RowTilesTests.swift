@testable import Tensor
import TestSupport
import XCTest

/// Inference's dense products give each row the same bits whatever the row count, the row's place
/// and the thread count (``RowTiles``), and the product's value.
final class RowTilesTests: XCTestCase {
    override func tearDown() { Threads.set(Threads.defaultCount) }

    func testEveryRowHasTheSameBitsInEveryBatchAndThreadCount() {
        for (n, k) in [(384, 384), (1536, 384), (384, 1536), (9, 33)] {
            let x = Tensor.random([300, k], seed: 1), w = Tensor.random([n, k], seed: 2), b = Tensor.random([n], seed: 3)
            let all = withNoGrad { x.linear(weight: w, bias: b) }.scalars
            // The plain product, within float rounding.
            let (xs, ws, bs) = (x.scalars, w.scalars, b.scalars)
            let exact = (0..<(3 * n)).map { i in
                Float((0..<k).reduce(Double(bs[i % n])) { $0 + Double(xs[(i / n) * k + $1]) * Double(ws[(i % n) * k + $1]) })
            }
            assertClose(Array(all.prefix(3 * n)), exact, tolerance: 1e-4 * Float(k).squareRoot())
            for threads in [1, 2, 3] {
                Threads.set(threads)
                for (first, count) in [(0, 1), (5, 7), (2, 40), (1, 95), (3, 97), (100, 200), (0, 300)] {
                    let rows = Tensor(shape: [count, k], scalars: Array(xs[(first * k)..<((first + count) * k)]))
                    let part = withNoGrad { rows.linear(weight: w, bias: b) }.scalars
                    let expected = Array(all[(first * n)..<((first + count) * n)])
                    XCTAssertEqual(part.map(\.bitPattern), expected.map(\.bitPattern),
                                   "n \(n) k \(k): rows \(first)..<\(first + count) on \(threads) threads")
                }
            }
        }
    }

    /// The granule found for a shape divides the tile; where the measurement allows it, a short
    /// call's column blocks split between cores give the bits of one call.
    func testGranuleDividesTheTileAndColumnBlocksChangeNoBit() {
        let w = Tensor.random([1536, 384], seed: 4)
        for beta: Float in [0, 1] {
            let call = RowTiles.Call(n: 1536, k: 384, b: w.storage.pointer, ldb: 384, transB: true, beta: beta)
            let measured = RowTiles.measurement(call)
            XCTAssertEqual(RowTiles.rows % measured.granule, 0, "granule \(measured.granule)")
            let x = Tensor.random([7, 384], seed: 5).scalars
            let start = (0..<(7 * 1536)).map { Float($0 % 5) }
            var one = start, split = start
            x.withUnsafeBufferPointer { a in
                one.withUnsafeMutableBufferPointer { call.runPadded(count: 7, to: 12, a: a.baseAddress!, lda: 384, c: $0.baseAddress!, ldc: 1536) }
                split.withUnsafeMutableBufferPointer {
                    call.runPadded(count: 7, to: 12, a: a.baseAddress!, lda: 384, c: $0.baseAddress!, ldc: 1536, columnParts: 2)
                }
            }
            if measured.splitsColumns {
                XCTAssertEqual(one.map(\.bitPattern), split.map(\.bitPattern), "beta \(beta)")
            }
            assertClose(split, one, tolerance: 1e-4)
        }
    }
}
