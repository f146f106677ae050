import Layers
@_spi(Testing) import Tensor
import TestSupport
import XCTest

final class LoRATests: XCTestCase {
    /// A frozen 6→5 layer with an r=2 adapter whose B is non-zero (a trained adapter).
    func makeLayer(seed: UInt64 = 1, dropout: Float = 0) -> (ParameterStore, Linear, LoRA) {
        let store = ParameterStore(seed: seed)
        let layer = Linear(store.root["encoder"]["layer"][0]["attention"]["self"]["query"], inFeatures: 6, outFeatures: 5)
        store.setTrainable(false)
        let lora = layer.attachAdapter(rank: 2, alpha: 4, dropout: dropout)
        lora.b.value.withUnsafeMutableBufferPointer { b in
            let values = Tensor.random([5, 2], seed: seed + 10).scalars
            for i in b.indices { b[i] = values[i] }
        }
        return (store, layer, lora)
    }

    func testNamesFollowPEFTAndTheAdapterStartsAsTheIdentity() {
        let store = ParameterStore(seed: 0)
        let layer = Linear(store.root["encoder"]["layer"][0]["attention"]["self"]["query"], inFeatures: 16, outFeatures: 4)
        let x = Tensor.random([3, 16], seed: 5)
        let before = layer(x, ForwardContext()).scalars
        let lora = layer.attachAdapter(rank: 8, alpha: 16, dropout: 0.1)
        XCTAssertEqual(store.parameters.map(\.name).suffix(2), [
            "encoder.layer.0.attention.self.query.lora_A.weight", "encoder.layer.0.attention.self.query.lora_B.weight",
        ])
        XCTAssertEqual(lora.a.shape, [8, 16])
        XCTAssertEqual(lora.b.shape, [4, 8])
        XCTAssertEqual(lora.scale, 2)
        // A: kaiming_uniform_(a=√5), within ±1/√in and not all zero; B: zeros.
        XCTAssertTrue(lora.a.value.scalars.allSatisfy { abs($0) <= 0.25 })
        XCTAssertTrue(lora.a.value.scalars.contains { $0 != 0 })
        XCTAssertTrue(lora.b.value.scalars.allSatisfy { $0 == 0 })
        XCTAssertEqual(layer(x, ForwardContext()).scalars, before, "B = 0: the adapted layer equals the pretrained one")
        XCTAssertEqual(Linear.adapters(in: layer).count, 1)
        XCTAssertTrue(ParameterStore.isAdapterParameter(lora.a.name))
        XCTAssertFalse(ParameterStore.isAdapterParameter(layer.weight.name))
    }

    /// y = x·Wᵀ + b + s·(x·Aᵀ)·Bᵀ against float64 arithmetic.
    func testForwardIsBasePlusScaledLowRankProduct() {
        let (_, layer, lora) = makeLayer()
        let x = Tensor.random([4, 6], seed: 3)
        let (xv, w, b, a, bb) = (x.scalars, layer.weight.value.scalars, layer.bias!.value.scalars, lora.a.value.scalars, lora.b.value.scalars)
        var expected = [Float]()
        for r in 0..<4 {
            for o in 0..<5 {
                var y = Double(b[o])
                for i in 0..<6 { y += Double(xv[r * 6 + i]) * Double(w[o * 6 + i]) }
                for k in 0..<2 {
                    var t = 0.0
                    for i in 0..<6 { t += Double(xv[r * 6 + i]) * Double(a[k * 6 + i]) }
                    y += 2 * t * Double(bb[o * 2 + k])
                }
                expected.append(Float(y))
            }
        }
        assertClose(layer(x, ForwardContext()).scalars, expected, tolerance: 1e-5)
    }

    /// Finite differences for the input, A and B (the frozen weight and bias are not checked:
    /// they get no gradient).
    func testGradientsMatchFiniteDifferences() {
        let (_, layer, lora) = makeLayer()
        let x = Tensor.random([4, 6], seed: 3, requiresGrad: true)
        assertGradients([x, lora.a.value, lora.b.value], "LoRA linear") { v in layer(v[0], ForwardContext()).tanh() }
        // Through the fused paths too: GELU after the product, and residual + LayerNorm.
        let store = ParameterStore(seed: 2)
        let norm = LayerNorm(store.root["norm"], size: 5, eps: 1e-12)
        let residual = Tensor.random([4, 5], seed: 8)
        assertGradients([x, lora.a.value, lora.b.value], "LoRA + LayerNorm") { v in norm(layer, v[0], residual: residual, ForwardContext()) }
        assertGradients([x, lora.a.value, lora.b.value], "LoRA product") { v in layer.product(v[0], ForwardContext()).gelu() }
    }

    /// The frozen base weight gets no gradient and no backward product: with a constant input,
    /// backward runs three products (dB, the rank-r intermediate's gradient, dA); with an input
    /// that needs a gradient, two more (dx through W and through A), and still none for W.
    func testFrozenBaseGetsNoGradientAndNoBackwardProduct() {
        let (_, layer, lora) = makeLayer()
        let constant = Tensor.random([4, 6], seed: 3)
        WorkCounters.start()
        let y = layer(constant, ForwardContext())
        XCTAssertEqual(WorkCounters.products, 3, "forward: base, A, B")
        WorkCounters.start()
        y.sum().backward()
        XCTAssertEqual(WorkCounters.products, 3, "dB, d(xAᵀ), dA: no product for W")
        XCTAssertNil(layer.weight.grad, "a frozen weight gets no gradient")
        XCTAssertNil(layer.bias!.grad)
        XCTAssertNotNil(lora.a.grad)
        XCTAssertNotNil(lora.b.grad)

        let x = Tensor.random([4, 6], seed: 4, requiresGrad: true)
        let z = layer(x, ForwardContext())
        WorkCounters.start()
        z.sum().backward()
        XCTAssertEqual(WorkCounters.products, 5, "plus dx through W and through A; still none for W")
        XCTAssertNil(layer.weight.grad)
        XCTAssertNotNil(x.grad)
    }

    /// Merging folds s·B·A into W: the merged layer alone gives what layer + adapter gave.
    func testMergeGivesTheSameOutputs() {
        let (store, layer, _) = makeLayer()
        let x = Tensor.random([4, 6], seed: 3)
        let adapted = layer(x, ForwardContext()).scalars
        let count = store.parameters.count
        layer.mergeAdapter()
        XCTAssertNil(layer.adapter)
        XCTAssertEqual(store.parameters.count, count - 2, "the adapter's parameters leave the store")
        XCTAssertTrue(Linear.adapters(in: [layer]).isEmpty)
        assertClose(layer(x, ForwardContext()).scalars, adapted, tolerance: 1e-5)
    }

    /// Dropout applies to the adapter's input in training only.
    func testDropoutOnlyInTraining() {
        let (_, layer, _) = makeLayer(dropout: 0.5)
        let x = Tensor.random([4, 6], seed: 3)
        let eval1 = layer(x, ForwardContext()).scalars
        XCTAssertEqual(layer(x, ForwardContext()).scalars, eval1)
        XCTAssertNotEqual(layer(x, .training(RandomStream(seed: 0))).scalars, eval1)
    }
}
