@_spi(Testing) import Tensor
import TestSupport
import XCTest

final class AutogradTests: XCTestCase {
    func testGradientOfASharedInputIsTheSumOfItsUses() {
        let x = Tensor(shape: [3], scalars: [1, 2, 3], requiresGrad: true)
        (x * x + x).sum().backward()
        XCTAssertEqual(x.grad?.scalars, [3, 5, 7])  // 2x + 1
    }

    func testBackwardAccumulatesAcrossCalls() {
        let x = Tensor(shape: [2], scalars: [1, -1], requiresGrad: true)
        x.scaled(3).sum().backward()
        x.scaled(3).sum().backward()
        XCTAssertEqual(x.grad?.scalars, [6, 6])
        x.zeroGrad()
        XCTAssertNil(x.grad)
    }

    func testNoGradModeRecordsNothing() {
        let w = Tensor.random([4, 4], seed: 1, requiresGrad: true)
        let x = Tensor.random([2, 4], seed: 2)
        let y = withNoGrad { x.linear(weight: w, bias: nil).gelu() }
        XCTAssertFalse(y.requiresGrad, "an op in no-grad mode must not require a gradient")
        let recorded = x.linear(weight: w, bias: nil).gelu()
        XCTAssertTrue(recorded.requiresGrad)
    }

    /// Frozen layers under a trainable head: backward runs only the head's ops, and the head's
    /// input gradient is never computed because nothing below it can use it.
    func testFrozenSubgraphDoesNoBackwardWork() {
        let x = Tensor.random([8, 16], seed: 3)
        let frozen = (0..<4).map { Tensor.random([16, 16], seed: UInt64(10 + $0), requiresGrad: false) }
        let head = Tensor.random([2, 16], seed: 20, requiresGrad: true)
        var h = x
        for w in frozen { h = h.linear(weight: w, bias: nil).gelu() }
        let loss = h.linear(weight: head, bias: nil).crossEntropy(targets: IDTensor(shape: [8], ids: [0, 1, 0, 1, 1, 0, 0, 1]))

        WorkCounters.start()
        loss.backward()
        XCTAssertEqual(WorkCounters.backward, ["cross_entropy": 1, "linear": 1])
        XCTAssertEqual(WorkCounters.products, 1, "only the head's weight gradient is computed")
        XCTAssertNotNil(head.grad)
        for w in frozen { XCTAssertNil(w.grad, "a frozen weight must get no gradient") }
    }

    /// A trainable table under frozen layers: the gradient flows through them (dX), yet no
    /// weight gradient is computed for any frozen layer.
    func testGradientFlowsThroughFrozenLayersWithoutTheirWeightGradients() {
        let table = Tensor.random([10, 8], seed: 4, requiresGrad: true)
        let frozen = (0..<3).map { Tensor.random([8, 8], seed: UInt64(30 + $0)) }
        var h = table.embedding(IDTensor(shape: [2, 3], ids: [1, 2, 3, 4, 5, 6]))
        for w in frozen { h = h.linear(weight: w, bias: nil).tanh() }
        let loss = h.sum()

        WorkCounters.start()
        loss.backward()
        XCTAssertEqual(WorkCounters.products, 3, "one input-gradient product per frozen layer, none for weights")
        XCTAssertNotNil(table.grad)
        for w in frozen { XCTAssertNil(w.grad) }
        assertGradients([table], "through frozen layers") { v in
            var h = v[0].embedding(IDTensor(shape: [2, 3], ids: [1, 2, 3, 4, 5, 6]))
            for w in frozen { h = h.linear(weight: w, bias: nil).tanh() }
            return h
        }
    }

    func testForwardValuesOfKernels() {
        // GELU is the exact erf form: gelu(1) = 0.8413447, the tanh form gives 0.8411920.
        assertClose(Tensor(shape: [3], scalars: [-1, 0, 1]).gelu().scalars, [-0.15865526, 0, 0.8413447], tolerance: 1e-6)
        assertClose(Tensor(shape: [1], scalars: [1]).geluTanh().scalars, [0.8411920], tolerance: 1e-6)
        // Softmax rows sum to one; masked positions get nothing.
        let p = Tensor(shape: [1, 3], scalars: [1, 2, 1000]).softmax(mask: Tensor(shape: [1, 3], scalars: [0, 0, -.infinity]))
        assertClose(p.scalars, [0.26894142, 0.73105858, 0], tolerance: 1e-6)
        // Layer norm gives zero mean and unit variance (eps aside).
        let n = Tensor(shape: [1, 4], scalars: [1, 2, 3, 4]).layerNorm(gamma: Tensor(repeating: 1, shape: [4]), beta: Tensor(zeros: [4]), eps: 0)
        assertClose(n.scalars, [-1.3416408, -0.4472136, 0.4472136, 1.3416408], tolerance: 1e-5)
        // Masked max ignores padding even when padding holds the largest value.
        let x = Tensor(shape: [1, 3, 1], scalars: [-5, -2, 100])
        XCTAssertEqual(x.maskedMax(mask: Tensor(shape: [1, 3], scalars: [1, 1, 0])).scalars, [-2])
        XCTAssertEqual(x.maskedMean(mask: Tensor(shape: [1, 3], scalars: [1, 1, 0])).scalars, [-3.5])
        // Cross-entropy ignores ignore-index targets.
        let ce = Tensor(shape: [2, 2], scalars: [0, 0, 5, -5]).crossEntropy(targets: IDTensor(shape: [2], ids: [1, -100]))
        XCTAssertEqual(ce.item, 0.6931472, accuracy: 1e-6)  // log 2
        // A masked class is out of the softmax however large its logit; one mask row serves two rows.
        let masked = Tensor(shape: [2, 3], scalars: [0, 0, 100, 0, 0, 100])
            .crossEntropy(targets: IDTensor(shape: [2], ids: [0, 1]), mask: Tensor(shape: [1, 3], scalars: [0, 0, -.greatestFiniteMagnitude]))
        XCTAssertEqual(masked.item, 0.6931472, accuracy: 1e-6)  // log 2
    }

    func testDropoutIsIdentityInEvalAndRepeatableInTraining() {
        let x = Tensor.random([100], seed: 5)
        var g = SeededGenerator(seed: 1)
        XCTAssertTrue(x.dropout(0.5, training: false, generator: &g) === x)
        var g1 = SeededGenerator(seed: 7), g2 = SeededGenerator(seed: 7)
        let a = x.dropout(0.5, training: true, generator: &g1).scalars
        XCTAssertEqual(a, x.dropout(0.5, training: true, generator: &g2).scalars)
        let zeros = a.filter { $0 == 0 }.count
        XCTAssertTrue((30...70).contains(zeros), "about half dropped, got \(zeros)")
        for (y, v) in zip(a, x.scalars) where y != 0 { XCTAssertEqual(y, v * 2, accuracy: 1e-6) }
    }
}
