import Tensor
import TestSupport
import XCTest

/// The fused, copy-free attention kernel against its plain twin built from generic ops.
final class AttentionTests: XCTestCase {
    func plainAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, mask: Tensor?, heads: Int) -> Tensor {
        let (b, s, hidden) = (q.shape[0], q.shape[1], q.shape[2])
        let d = hidden / heads
        func split(_ x: Tensor) -> Tensor { x.reshaped([b, s, heads, d]).permuted([0, 2, 1, 3]) }
        let scores = split(q).matmul(split(k), transposeOther: true).scaled(1 / Float(d).squareRoot())
        let probs = scores.softmax(mask: mask)
        return probs.matmul(split(v)).permuted([0, 2, 1, 3]).reshaped([b, s, hidden])
    }

    func testMatchesPlainTwinForwardAndBackward() {
        for (b, s, heads, d) in [(2, 5, 3, 4), (1, 1, 1, 3), (3, 7, 2, 1)] {
            let q = Tensor.random([b, s, heads * d], seed: 1, requiresGrad: true)
            let k = Tensor.random([b, s, heads * d], seed: 2, requiresGrad: true)
            let v = Tensor.random([b, s, heads * d], seed: 3, requiresGrad: true)
            var maskValues = [Float](repeating: 0, count: b * s)
            if s > 2 { maskValues[b * s - 1] = -1e9; maskValues[b * s - 2] = -1e9 }
            let mask = Tensor(shape: [b, s], scalars: maskValues)
            var g = SeededGenerator(seed: 0)
            let fused = Tensor.attention(query: q, key: k, value: v, mask: mask, heads: heads, generator: &g).context
            assertClose(fused.scalars, plainAttention(q, k, v, mask: mask, heads: heads).scalars, tolerance: 1e-5)
            assertGradients([q, k, v], "attention b\(b) s\(s) h\(heads) d\(d)") { x in
                var g = SeededGenerator(seed: 0)
                return Tensor.attention(query: x[0], key: x[1], value: x[2], mask: mask, heads: heads, generator: &g).context
            }
        }
    }

    func testDropoutGradient() {
        let q = Tensor.random([2, 4, 6], seed: 4, requiresGrad: true)
        let k = Tensor.random([2, 4, 6], seed: 5, requiresGrad: true)
        let v = Tensor.random([2, 4, 6], seed: 6, requiresGrad: true)
        assertGradients([q, k, v], "attention dropout") { x in
            var g = SeededGenerator(seed: 9)
            return Tensor.attention(query: x[0], key: x[1], value: x[2], mask: nil, heads: 2,
                                    dropout: 0.3, training: true, generator: &g).context
        }
    }
}
