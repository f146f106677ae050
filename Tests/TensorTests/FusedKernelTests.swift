import Tensor
import TestSupport
import XCTest

/// Each fused kernel against its plain twin: the same values, with and without gradients
/// recorded (the unrecorded path writes in place), and the same gradient for every input.
final class FusedKernelTests: XCTestCase {
    /// Runs `fused` and `plain` on fresh copies of `inputs` and compares outputs and gradients.
    func assertTwins(
        _ inputs: [Tensor], _ name: String, tolerance: Float = 2e-6,
        fused: ([Tensor]) -> Tensor, plain: ([Tensor]) -> Tensor
    ) {
        func copies() -> [Tensor] { inputs.map { Tensor(shape: $0.shape, scalars: $0.scalars, requiresGrad: true) } }
        let weights = Tensor.random(plain(inputs).shape, seed: 99)
        func run(_ f: ([Tensor]) -> Tensor) -> (values: [Float], unrecorded: [Float], gradients: [[Float]]) {
            let unrecorded = withNoGrad { f(copies()).scalars }
            let x = copies()
            let y = f(x)
            (y * weights).sum().backward()
            return (y.scalars, unrecorded, x.map { $0.grad?.scalars ?? [] })
        }
        let a = run(fused), b = run(plain)
        assertClose(a.values, b.values, tolerance: tolerance, "\(name): values")
        assertClose(a.unrecorded, b.values, tolerance: tolerance, "\(name): values without gradients")
        for (i, (ga, gb)) in zip(a.gradients, b.gradients).enumerated() {
            XCTAssertFalse(gb.isEmpty, "\(name): input \(i) got no gradient")
            assertClose(ga, gb, tolerance: tolerance * 10, "\(name): gradient of input \(i)")
        }
    }

    func testGeluAddingBiasIsGeluOfTheSum() {
        // 37 columns: not a multiple of any vector width.
        for shape in [[3, 37], [2, 4, 16], [1, 1]] {
            let x = Tensor.random(shape, seed: 1, in: -4...4), b = Tensor.random([shape.last!], seed: 2)
            assertTwins([x, b], "gelu \(shape)", fused: { $0[0].gelu(addingBias: $0[1]) },
                        plain: { $0[0].addingBias($0[1]).gelu() })
        }
    }

    func testResidualLayerNormIsLayerNormOfTheSum() {
        // 37 and 1 columns take the Swift loop; 16, 48 and 384 (MiniLM's width) the AVX-512 one where the CPU has it.
        for shape in [[3, 37], [2, 4, 16], [1, 1], [3, 48], [5, 384]] {
            let cols = shape.last!
            let x = Tensor.random(shape, seed: 3), r = Tensor.random(shape, seed: 4, in: -3...3)
            let b = Tensor.random([cols], seed: 5), gamma = Tensor.random([cols], seed: 6, in: 0.5...1.5)
            let beta = Tensor.random([cols], seed: 7)
            assertTwins([x, b, r, gamma, beta], "residual layer norm \(shape)",
                        fused: { $0[0].layerNorm(addingBias: $0[1], residual: $0[2], gamma: $0[3], beta: $0[4], eps: 1e-5) },
                        plain: { ($0[0].addingBias($0[1]) + $0[2]).layerNorm(gamma: $0[3], beta: $0[4], eps: 1e-5) })
            assertTwins([x, r, gamma, beta], "residual layer norm without bias \(shape)",
                        fused: { $0[0].layerNorm(addingBias: nil, residual: $0[1], gamma: $0[2], beta: $0[3], eps: 1e-5) },
                        plain: { ($0[0] + $0[1]).layerNorm(gamma: $0[2], beta: $0[3], eps: 1e-5) })
        }
    }
}
