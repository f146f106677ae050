import Layers
import Tensor
import TestSupport
import XCTest

final class OptimClippingTests: XCTestCase {
    func testClipScalesToMaxNormAndReturnsTheNormBefore() {
        let store = ParameterStore()
        let a = makeParameter(store, "a", shape: [2], values: [0, 0])
        let b = makeParameter(store, "b", shape: [1, 2], values: [0, 0])
        _ = makeParameter(store, "no_grad", shape: [3], values: [0, 0, 0])
        setGradient(a, [3, 0])
        setGradient(b, [0, -4])
        XCTAssertEqual(gradientNorm(store.parameters), 5)
        XCTAssertEqual(clipGradientNorm(store.parameters, maxNorm: 1), 5)
        let coefficient = Float(1) / (Float(5) + 1e-6)
        XCTAssertEqual(a.grad?.scalars, [3 * coefficient, 0])
        XCTAssertEqual(b.grad?.scalars, [0, -4 * coefficient])
        XCTAssertEqual(gradientNorm(store.parameters), 1, accuracy: 1e-6)
    }

    /// The trainer clips inside AdamW (`step(gradientScale:)`), and data-parallel training hands
    /// AdamW gradients that are views of its buckets (`borrowGrad`): the weights must get the bits
    /// that clipping in place and then stepping give.
    func testClippingInsideTheStepGivesTheBitsOfClippingFirst() {
        let initial: [Float] = [0.5, -0.25, 1.5, 2, -3, 0.125]
        let gradient: [Float] = [0.3, -1.7, 2.25, 1e-3, -0.61, 4.1]
        func run(fused: Bool, borrowed: Bool) -> [Float] {
            let store = ParameterStore()
            let w = makeParameter(store, "w", shape: [2, 3], values: initial)
            let optimizer = AdamW(store.parameters, learningRate: 0.01)
            var memory = gradient
            for _ in 0..<3 {
                memory = gradient
                memory.withUnsafeMutableBufferPointer { buffer in
                    if borrowed { w.value.borrowGrad(buffer.baseAddress!) } else { setGradient(w, gradient) }
                    if fused {
                        let norm = optimizer.gradientNorm()
                        optimizer.step(gradientScale: clipCoefficient(norm: norm, maxNorm: 0.5))
                    } else {
                        optimizer.clipGradientNorm(maxNorm: 0.5)
                        optimizer.step()
                    }
                }
                XCTAssertNil(w.grad)
            }
            XCTAssertEqual(memory, gradient, "a borrowed gradient is read, never written")
            return w.value.scalars
        }
        let reference = run(fused: false, borrowed: false)
        XCTAssertNotEqual(reference, initial)
        XCTAssertEqual(run(fused: true, borrowed: false), reference)
        XCTAssertEqual(run(fused: true, borrowed: true), reference)
        XCTAssertNil(clipCoefficient(norm: 0.1, maxNorm: 0.5))
        XCTAssertEqual(gradient.withUnsafeBufferPointer { sumOfSquares($0) }, gradient.reduce(0.0) { $0 + Double($1) * Double($1) })
    }

    func testClipLeavesSmallGradientsAlone() {
        let store = ParameterStore()
        let a = makeParameter(store, "a", shape: [3], values: [0, 0, 0])
        setGradient(a, [0.1, -0.2, 0.3])
        XCTAssertEqual(clipGradientNorm([a], maxNorm: 1), Float((0.01 + 0.04 + 0.09).squareRoot()), accuracy: 1e-7)
        XCTAssertEqual(a.grad?.scalars, [0.1, -0.2, 0.3])
        XCTAssertEqual(clipGradientNorm([], maxNorm: 1), 0)
    }

    /// The two leaves of `a + b` receive one shared gradient buffer; it must be scaled once.
    func testSharedGradientBufferIsScaledOnce() {
        let store = ParameterStore()
        let a = makeParameter(store, "a", shape: [4], values: [1, 2, 3, 4])
        let b = makeParameter(store, "b", shape: [4], values: [5, 6, 7, 8])
        (a.value + b.value).sum().backward()
        XCTAssertEqual(clipGradientNorm([a, b], maxNorm: 1), Float(8).squareRoot())
        let expected = Float(1) / (Float(8).squareRoot() + 1e-6)
        XCTAssertEqual(a.grad?.scalars, Array(repeating: expected, count: 4))
        XCTAssertEqual(b.grad?.scalars, Array(repeating: expected, count: 4))
    }

    /// The threaded sum of squares over a large gradient agrees with a plain Double sum.
    func testLargeGradientNorm() {
        let store = ParameterStore()
        let n = 1 << 18 + 5
        let big = makeParameter(store, "big", shape: [n])
        let g = Tensor.random([n], seed: 7).scalars
        setGradient(big, g)
        let expected = g.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        let norm = clipGradientNorm([big], maxNorm: 2)
        XCTAssertEqual(Double(norm), expected, accuracy: expected * 1e-6)
        let coefficient = Float(2) / (norm + 1e-6)
        XCTAssertEqual(big.grad?.scalars, g.map { $0 * coefficient })
    }
}
