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

    /// Data-parallel training clips while it copies the summed gradients back
    /// (`setGrad(copying:scale:)`, `setGradRows`); the result must be the bits clipping gives.
    func testClippingFusedIntoTheCopyBackGivesTheSameBits() {
        let store = ParameterStore()
        let a = makeParameter(store, "a", shape: [2, 3], values: [Float](repeating: 0, count: 6))
        let values: [Float] = [0.3, -1.7, 2.25, 1e-3, -0.61, 4.1]
        setGradient(a, values)
        let norm = gradientNorm([a])
        XCTAssertEqual(clipGradientNorm([a], maxNorm: 0.5), norm)
        let coefficient = clipCoefficient(norm: norm, maxNorm: 0.5)!
        XCTAssertNil(clipCoefficient(norm: 0.1, maxNorm: 0.5))
        XCTAssertEqual(values.withUnsafeBufferPointer { sumOfSquares($0) }, Double(norm) * Double(norm), accuracy: 1e-5)

        let copied = makeParameter(store, "copied", shape: [2, 3], values: [Float](repeating: 0, count: 6))
        values.withUnsafeBufferPointer { copied.value.setGrad(copying: $0.baseAddress!, scale: coefficient) }
        XCTAssertEqual(copied.grad?.scalars, a.grad?.scalars)

        let rowsOnly = makeParameter(store, "rows", shape: [3, 2], values: [Float](repeating: 0, count: 6))
        let row: [Float] = [0.3, -1.7]
        row.withUnsafeBufferPointer { rowsOnly.value.setGradRows([1], width: 2, from: $0.baseAddress!, scale: coefficient) }
        XCTAssertEqual(rowsOnly.grad?.scalars, [0, 0, 0.3 * coefficient, -1.7 * coefficient, 0, 0])
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
