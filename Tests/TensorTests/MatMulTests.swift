import Tensor
import TestSupport
import XCTest

/// Matrix products against a naive triple loop, for every transpose combination and layout.
final class MatMulTests: XCTestCase {
    /// Naive op(A)·op(B) for row-major matrices stored as [m,k]/[k,m] and [k,n]/[n,k].
    func naive(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int, ta: Bool, tb: Bool) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var s: Double = 0
                for p in 0..<k {
                    let av = ta ? a[p * m + i] : a[i * k + p]
                    let bv = tb ? b[j * k + p] : b[p * n + j]
                    s += Double(av) * Double(bv)
                }
                c[i * n + j] = Float(s)
            }
        }
        return c
    }

    let sizes: [(m: Int, n: Int, k: Int)] = [(1, 1, 1), (3, 5, 7), (1, 9, 4), (6, 1, 3), (17, 13, 11)]

    func testMatricesEveryTransposeCombination() {
        for (m, n, k) in sizes {
            for ta in [false, true] {
                for tb in [false, true] {
                    let a = Tensor.random(ta ? [k, m] : [m, k], seed: 1)
                    let b = Tensor.random(tb ? [n, k] : [k, n], seed: 2)
                    let c = a.matmul(b, transposeSelf: ta, transposeOther: tb)
                    XCTAssertEqual(c.shape, [m, n])
                    assertClose(c.scalars, naive(a.scalars, b.scalars, m: m, n: n, k: k, ta: ta, tb: tb),
                                tolerance: 1e-5, "m\(m) n\(n) k\(k) ta\(ta) tb\(tb)")
                }
            }
        }
    }

    func testBatchedEveryTransposeCombination() {
        let (batch, m, n, k) = (3, 4, 5, 6)
        for ta in [false, true] {
            for tb in [false, true] {
                let a = Tensor.random([batch] + (ta ? [k, m] : [m, k]), seed: 3)
                let b = Tensor.random([batch] + (tb ? [n, k] : [k, n]), seed: 4)
                let c = a.matmul(b, transposeSelf: ta, transposeOther: tb)
                XCTAssertEqual(c.shape, [batch, m, n])
                for i in 0..<batch {
                    let ai = Array(a.scalars[(i * m * k)..<((i + 1) * m * k)])
                    let bi = Array(b.scalars[(i * k * n)..<((i + 1) * k * n)])
                    assertClose(Array(c.scalars[(i * m * n)..<((i + 1) * m * n)]),
                                naive(ai, bi, m: m, n: n, k: k, ta: ta, tb: tb), tolerance: 1e-5, "batch \(i) ta\(ta) tb\(tb)")
                }
            }
        }
    }

    func testSharedRightOperandAcrossLeadingAxes() {
        for ta in [false, true] {
            for tb in [false, true] {
                let (m, n, k) = (3, 2, 5)
                let a = Tensor.random([2, 2] + (ta ? [k, m] : [m, k]), seed: 5)
                let b = Tensor.random(tb ? [n, k] : [k, n], seed: 6)
                let c = a.matmul(b, transposeSelf: ta, transposeOther: tb)
                XCTAssertEqual(c.shape, [2, 2, m, n])
                for i in 0..<4 {
                    let ai = Array(a.scalars[(i * m * k)..<((i + 1) * m * k)])
                    assertClose(Array(c.scalars[(i * m * n)..<((i + 1) * m * n)]),
                                naive(ai, b.scalars, m: m, n: n, k: k, ta: ta, tb: tb), tolerance: 1e-5)
                }
            }
        }
    }

    func testGradientsEveryTransposeCombination() {
        for (m, n, k) in [(1, 1, 1), (3, 5, 2), (1, 4, 3)] {
            for ta in [false, true] {
                for tb in [false, true] {
                    let a = Tensor.random(ta ? [k, m] : [m, k], seed: 7, requiresGrad: true)
                    let b = Tensor.random(tb ? [n, k] : [k, n], seed: 8, requiresGrad: true)
                    assertGradients([a, b], "matmul ta\(ta) tb\(tb)") { $0[0].matmul($0[1], transposeSelf: ta, transposeOther: tb) }
                }
            }
        }
    }

    func testBatchedAndSharedGradients() {
        for ta in [false, true] {
            for tb in [false, true] {
                let a = Tensor.random([2] + (ta ? [3, 1] : [1, 3]), seed: 9, requiresGrad: true)
                let b = Tensor.random([2] + (tb ? [5, 3] : [3, 5]), seed: 10, requiresGrad: true)
                assertGradients([a, b], "batched ta\(ta) tb\(tb)") { $0[0].matmul($0[1], transposeSelf: ta, transposeOther: tb) }
                let shared = Tensor.random(tb ? [4, 3] : [3, 4], seed: 11, requiresGrad: true)
                assertGradients([a, shared], "shared ta\(ta) tb\(tb)") { $0[0].matmul($0[1], transposeSelf: ta, transposeOther: tb) }
            }
        }
    }

    func testLinearMatchesItsPlainTwin() {
        let x = Tensor.random([2, 3, 5], seed: 12, requiresGrad: true)
        let w = Tensor.random([7, 5], seed: 13, requiresGrad: true)
        let b = Tensor.random([7], seed: 14, requiresGrad: true)
        let fused = x.linear(weight: w, bias: b)
        let plain = x.matmul(w, transposeOther: true) + b
        XCTAssertEqual(fused.shape, [2, 3, 7])
        assertClose(fused.scalars, plain.scalars, tolerance: 1e-6)
        assertGradients([x, w, b], "linear") { $0[0].linear(weight: $0[1], bias: $0[2]) }
        assertGradients([x, w], "linear without bias") { $0[0].linear(weight: $0[1], bias: nil) }
    }
}
