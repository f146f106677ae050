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
                for (first, count) in [(0, 1), (5, 7), (1, 95), (3, 97), (100, 200), (0, 300)] {
                    let rows = Tensor(shape: [count, k], scalars: Array(xs[(first * k)..<((first + count) * k)]))
                    let part = withNoGrad { rows.linear(weight: w, bias: b) }.scalars
                    let expected = Array(all[(first * n)..<((first + count) * n)])
                    XCTAssertEqual(part.map(\.bitPattern), expected.map(\.bitPattern),
                                   "n \(n) k \(k): rows \(first)..<\(first + count) on \(threads) threads")
                }
            }
        }
    }

    /// The granule found for a shape divides the tile, and whole tiles need no padding.
    func testGranuleDividesTheTile() {
        let w = Tensor.random([64, 32], seed: 4)
        let call = RowTiles.Call(n: 64, k: 32, b: w.storage.pointer, ldb: 32, transB: true, beta: 0)
        let g = RowTiles.granule(call)
        XCTAssertEqual(RowTiles.rows % g, 0, "granule \(g)")
    }
}
