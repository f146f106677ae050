import Tensor
import TestSupport
import XCTest

/// Finite-difference checks of every differentiable op, on awkward shapes (odd sizes, batch 1, length 1).
final class GradientTests: XCTestCase {
    func testBroadcastArithmetic() {
        let cases: [([Int], [Int])] = [([3, 5], [3, 5]), ([2, 3, 5], [5]), ([3, 1, 5], [4, 5]), ([1], [2, 3]), ([1, 1], [1, 1])]
        for (sa, sb) in cases {
            let a = Tensor.random(sa, seed: 1, requiresGrad: true)
            let b = Tensor.random(sb, seed: 2, requiresGrad: true)
            assertGradients([a, b], "add \(sa) \(sb)") { $0[0] + $0[1] }
            assertGradients([a, b], "sub \(sa) \(sb)") { $0[0] - $0[1] }
            assertGradients([a, b], "mul \(sa) \(sb)") { $0[0] * $0[1] }
        }
    }

    func testBiasScaleSumMean() {
        let x = Tensor.random([1, 3, 7], seed: 3, requiresGrad: true)
        let bias = Tensor.random([7], seed: 4, requiresGrad: true)
        assertGradients([x, bias], "bias") { $0[0].addingBias($0[1]) }
        assertGradients([x], "scale") { $0[0].scaled(-2.5) }
        assertGradients([x], "sum") { $0[0].sum() }
        assertGradients([x], "mean") { $0[0].mean() }
    }

    func testActivations() {
        let x = Tensor.randomAwayFromZero([2, 3, 5], seed: 5, requiresGrad: true)
        assertGradients([x], "gelu") { $0[0].scaled(2).gelu() }
        assertGradients([x], "gelu tanh") { $0[0].scaled(2).geluTanh() }
        assertGradients([x], "tanh") { $0[0].tanh() }
        assertGradients([x], "relu") { $0[0].relu() }
        assertGradients([x], "leaky relu") { $0[0].leakyRelu(slope: 0.3) }
        assertGradients([x], "sigmoid") { $0[0].sigmoid() }
    }

    func testFusedBiasGeluAndResidualLayerNorm() {
        let x = Tensor.randomAwayFromZero([2, 3, 5], seed: 51, requiresGrad: true)
        let bias = Tensor.random([5], seed: 52, requiresGrad: true)
        let residual = Tensor.random([2, 3, 5], seed: 53, requiresGrad: true)
        let gamma = Tensor.random([5], seed: 54, in: 0.5...1.5, requiresGrad: true)
        let beta = Tensor.random([5], seed: 55, requiresGrad: true)
        assertGradients([x, bias], "gelu adding bias") { $0[0].scaled(2).gelu(addingBias: $0[1]) }
        assertGradients([x, bias, residual, gamma, beta], "residual layer norm") {
            $0[0].layerNorm(addingBias: $0[1], residual: $0[2], gamma: $0[3], beta: $0[4], eps: 1e-5)
        }
    }

    func testSoftmaxWithAndWithoutMask() {
        for shape in [[1, 1], [3, 7], [2, 3, 1, 5]] {
            let x = Tensor.random(shape, seed: 6, in: -3...3, requiresGrad: true)
            assertGradients([x], "softmax \(shape)") { $0[0].softmax() }
        }
        let scores = Tensor.random([2, 3, 4, 5], seed: 7, in: -3...3, requiresGrad: true)
        let mask = Tensor(shape: [2, 5], scalars: [0, 0, 0, -10_000, -10_000, 0, 0, 0, 0, 0])
        assertGradients([scores], "masked softmax") { $0[0].softmax(mask: mask) }
    }

    func testLayerNorm() {
        for shape in [[1, 1, 5], [3, 7], [2, 1, 9]] {
            let cols = shape.last!
            let x = Tensor.random(shape, seed: 8, in: -2...2, requiresGrad: true)
            let gamma = Tensor.random([cols], seed: 9, in: 0.5...1.5, requiresGrad: true)
            let beta = Tensor.random([cols], seed: 10, requiresGrad: true)
            assertGradients([x, gamma, beta], "layerNorm \(shape)") { $0[0].layerNorm(gamma: $0[1], beta: $0[2], eps: 1e-12) }
        }
    }

    func testDropoutUsesOneMaskPerSeed() {
        let x = Tensor.random([3, 5], seed: 11, requiresGrad: true)
        assertGradients([x], "dropout") { inputs in
            var g = SeededGenerator(seed: 42)  // the same mask on every evaluation
            return inputs[0].dropout(0.3, training: true, generator: &g)
        }
    }

    func testEmbeddingScatterAddsRepeatedIds() {
        let table = Tensor.random([6, 4], seed: 12, requiresGrad: true)
        let ids = IDTensor(shape: [2, 3], ids: [1, 5, 1, 0, 1, 3])
        assertGradients([table], "embedding") { $0[0].embedding(ids) }
    }

    func testMaskedPooling() {
        let x = Tensor.random([3, 4, 5], seed: 13, requiresGrad: true)
        let mask = Tensor(shape: [3, 4], scalars: [1, 1, 0, 0, 1, 1, 1, 1, 1, 0, 0, 0])
        assertGradients([x], "masked mean") { $0[0].maskedMean(mask: mask) }
        assertGradients([x], "masked max") { $0[0].maskedMax(mask: mask) }
        assertGradients([x], "l2 normalize") { $0[0].l2Normalized() }
    }

    func testLosses() {
        let logits = Tensor.random([4, 3], seed: 14, in: -2...2, requiresGrad: true)
        let ids = IDTensor(shape: [4], ids: [2, -100, 0, 1])
        assertGradients([logits], "cross entropy") { $0[0].crossEntropy(targets: ids) }
        let mask = Tensor(shape: [2, 3], scalars: [0, -.greatestFiniteMagnitude, 0, 0, 0, 0])
        assertGradients([logits], "masked cross entropy") { $0[0].crossEntropy(targets: IDTensor(shape: [4], ids: [2, -100, 0, 1]), mask: mask) }
        let targets = Tensor.random([4, 3], seed: 15, in: 0...1)
        assertGradients([logits], "mse") { $0[0].mseLoss(targets: targets) }
        assertGradients([logits], "bce") { $0[0].binaryCrossEntropyWithLogits(targets: targets) }
    }

    func testShapeOps() {
        let x = Tensor.random([2, 3, 5], seed: 16, requiresGrad: true)
        let y = Tensor.random([2, 1, 5], seed: 17, requiresGrad: true)
        assertGradients([x], "reshape") { $0[0].reshaped([5, -1]) }
        assertGradients([x], "permute") { $0[0].permuted([2, 0, 1]) }
        assertGradients([x], "transpose") { $0[0].transposed(0, 1) }
        assertGradients([x], "slice") { $0[0].sliced(axis: 1, 1..<3) }
        assertGradients([x, y], "concat") { Tensor.concat([$0[0], $0[1], $0[0]], axis: 1) }
        assertGradients([x], "gather") { $0[0].gathered(axis: 2, indices: [4, 0, 4]) }
    }

    /// A small network through several ops at once, as a model's backward pass sees them.
    func testComposition() {
        let x = Tensor.random([2, 3, 4], seed: 18, requiresGrad: true)
        let w = Tensor.random([4, 4], seed: 19, requiresGrad: true)
        let gamma = Tensor.random([4], seed: 20, in: 0.5...1.5, requiresGrad: true)
        let beta = Tensor.random([4], seed: 21, requiresGrad: true)
        assertGradients([x, w, gamma, beta], "composition") { v in
            let h = v[0].linear(weight: v[1], bias: nil).gelu()
            let scores = h.matmul(h, transposeOther: true).softmax()
            return (scores.matmul(h) + v[0]).layerNorm(gamma: v[2], beta: v[3], eps: 1e-5)
        }
    }
}
