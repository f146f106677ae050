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
