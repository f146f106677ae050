import Foundation
import Layers
import Tensor
import TestSupport
import XCTest

final class OptimAdamWTests: XCTestCase {
    /// torch.optim.AdamW with a no-decay group, linear warmup/decay and clip_grad_norm_, six steps:
    /// a frozen weight and bias, and a parameter that has a gradient only on even steps.
    func testMatchesPyTorchStepByStep() throws {
        let fixture = try OptimFixture.load().adamw
        let store = ParameterStore()
        let parameters = fixture.parameters.map { spec in
            let p = makeParameter(store, spec.name, shape: spec.shape, values: spec.initial.floats)
            p.trainable = spec.trainable
            return p
        }
        let optimizer = AdamW(
            store.parameters,
            schedule: .linear(peak: fixture.lr, warmupSteps: fixture.warmupSteps, totalSteps: fixture.totalSteps),
            betas: (fixture.betas[0], fixture.betas[1]), eps: fixture.eps, weightDecay: fixture.weightDecay)

        for spec in fixture.parameters where spec.trainable {
            XCTAssertEqual(optimizer.appliesWeightDecay(to: spec.name), spec.decay, spec.name)
        }
        var worst: Float = 0
        for (k, step) in fixture.steps.enumerated() {
            for (name, grad) in step.grads { setGradient(store[name]!, grad.floats) }
            let norm = optimizer.clipGradientNorm(maxNorm: Float(fixture.maxNorm))
            XCTAssertEqual(Double(norm), step.gradNorm, accuracy: step.gradNorm * 1e-6, "step \(k) gradient norm")
            XCTAssertEqual(optimizer.learningRate, step.lr, "step \(k) learning rate")
            optimizer.step()
            XCTAssertEqual(optimizer.stepCount, k + 1)
            for p in parameters {
                XCTAssertNil(p.grad, "step() drops the gradient of \(p.name)")
                let expected = step.after[p.name]!.floats
                assertClose(p.value.scalars, expected, tolerance: 1e-6, "step \(k) \(p.name)")
                worst = max(worst, maxAbsDifference(p.value.scalars, expected))
            }
        }
        print("AdamW vs PyTorch \(try OptimFixture.load().torch): max |Δparameter| \(worst) after \(fixture.steps.count) steps")

        // Moments and per-parameter step counts, as torch's optimizer.state holds them.
        let state = optimizer.state()
        XCTAssertEqual(state.step, fixture.steps.count)
        XCTAssertEqual(Set(state.moments.keys), Set(fixture.finalState.keys))
        for (name, expected) in fixture.finalState {
            let moments = try XCTUnwrap(state.moments[name])
            XCTAssertEqual(moments.step, expected.step, name)
            assertClose(moments.expAvg, expected.expAvg.floats, tolerance: 1e-6, "\(name) exp_avg")
            assertClose(moments.expAvgSq, expected.expAvgSq.floats, tolerance: 1e-7, "\(name) exp_avg_sq")
        }
    }

    /// The optimizer reads the schedule at its step count: the first update uses lr(at: 0).
    func testOptimizerFollowsItsSchedule() {
        let store = ParameterStore()
        let p = makeParameter(store, "w", shape: [2, 2], values: [1, 2, 3, 4])
        let optimizer = AdamW([p], schedule: .constantWithWarmup(peak: 0.1, warmupSteps: 2))
        XCTAssertEqual(optimizer.learningRate, 0)
        setGradient(p, [1, 1, 1, 1])
        optimizer.step()
        XCTAssertEqual(p.value.scalars, [1, 2, 3, 4], "lr 0 on the first warmup step: no change, even from decay")
        XCTAssertEqual(optimizer.learningRate, 0.05)
        optimizer.schedule = .constant(peak: 0.3)
        XCTAssertEqual(optimizer.learningRate, 0.3)
    }

    func testFrozenAndGradientlessParametersAreUntouchedAndStateless() {
        let store = ParameterStore()
        let frozen = makeParameter(store, "encoder.layer.0.dense.weight", shape: [3, 2], values: [1, 2, 3, 4, 5, 6])
        let idle = makeParameter(store, "pooler.dense.weight", shape: [2, 2], values: [1, -1, 2, -2])
        let live = makeParameter(store, "classifier.weight", shape: [2, 3], values: [0.5, -0.5, 1, -1, 2, -2])
        frozen.trainable = false
        let optimizer = AdamW(store.parameters, learningRate: 0.1)
        for _ in 0..<3 {
            setGradient(live, [1, 2, 3, -1, -2, -3])
            optimizer.step()
        }
        XCTAssertEqual(frozen.value.scalars, [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(idle.value.scalars, [1, -1, 2, -2])
        XCTAssertNotEqual(live.value.scalars, [0.5, -0.5, 1, -1, 2, -2])
        XCTAssertEqual(optimizer.stateElementCount, 2 * live.count, "moments only for the parameter that moved")
        XCTAssertEqual(Array(optimizer.state().moments.keys), ["classifier.weight"])
    }

    /// With zero gradients Adam's step is 0/(0 + ε) = 0, so only weight decay moves a parameter:
    /// p·(1 − lr·λ), rounded to Float, where the rule decays it; not at all elsewhere.
    func testWeightDecayFollowsTheRule() {
        func run(_ rule: WeightDecayRule?) -> [String: [Float]] {
            let store = ParameterStore()
            let values: [Float] = [1.5, -2, 3, 0.25]
            for name in ["encoder.dense.weight", "encoder.dense.bias", "encoder.LayerNorm.weight", "norm.weight"] {
                _ = makeParameter(store, name, shape: name.hasSuffix("dense.weight") ? [2, 2] : [4], values: values)
            }
            let optimizer = rule.map { AdamW(store.parameters, learningRate: 0.1, weightDecay: 0.5, weightDecayRule: $0) }
                ?? AdamW(store.parameters, learningRate: 0.1, weightDecay: 0.5)
            for p in store.parameters { setGradient(p, [0, 0, 0, 0]) }
            optimizer.step()
            return Dictionary(uniqueKeysWithValues: store.parameters.map { ($0.name, $0.value.scalars) })
        }
        let original: [Float] = [1.5, -2, 3, 0.25]
        let decayed = original.map { $0 * Float(1 - 0.1 * 0.5) }
        XCTAssertEqual(run(nil), [
            "encoder.dense.weight": decayed, "encoder.dense.bias": original,
            "encoder.LayerNorm.weight": original, "norm.weight": original,
        ])
        XCTAssertEqual(run(.all).values.map { $0 }, Array(repeating: decayed, count: 4))
        XCTAssertEqual(run(.nothing).values.map { $0 }, Array(repeating: original, count: 4))
        let custom = run(WeightDecayRule { name, _ in name.hasPrefix("encoder.LayerNorm") })
        XCTAssertEqual(custom["encoder.LayerNorm.weight"], decayed)
        XCTAssertEqual(custom["encoder.dense.weight"], original)
    }

    func testStandardWeightDecayRule() {
        let cases: [(String, [Int], Bool)] = [
            ("embeddings.word_embeddings.weight", [30522, 768], true),
            ("embeddings.position_embeddings.weight", [512, 768], true),
            ("embeddings.LayerNorm.weight", [768], false),
            ("embeddings.LayerNorm.bias", [768], false),
            ("encoder.layer.11.attention.self.query.weight", [768, 768], true),
            ("encoder.layer.11.attention.self.query.bias", [768], false),
            ("encoder.layer.11.attention.output.LayerNorm.weight", [768], false),
            ("pooler.dense.weight", [768, 768], true),
            ("classifier.weight", [2, 768], true),
            ("classifier.bias", [2], false),
            ("distilbert.transformer.layer.0.sa_layer_norm.weight", [768], false),
            ("distilbert.transformer.layer.0.output_layer_norm.weight", [768], false),
            ("albert.encoder.embedding_hidden_mapping_in.weight", [768, 128], true),
            ("model.norm.weight", [768], false),
            ("head.layer_norm.weight", [2, 3], false),    // a matrix, exempt by name
            ("head.relative_bias", [4, 4], false),        // a matrix, exempt by name
            ("head.scale", [1], false),                   // a vector, exempt by rank
            ("head.temperature", [], false),              // a scalar, exempt by rank
        ]
        for (name, shape, expected) in cases {
            XCTAssertEqual(WeightDecayRule.standard.decays(name: name, shape: shape), expected, name)
        }
        let namesOnly = WeightDecayRule.excluding(nameFragments: ["LayerNorm"], vectors: false)
        XCTAssertTrue(namesOnly.decays(name: "classifier.bias", shape: [2]))
        XCTAssertFalse(namesOnly.decays(name: "embeddings.layernorm.weight", shape: [2]))
    }

    /// Two backward passes add up; step() uses the sum and then drops it, and zeroGrad() discards one.
    func testGradientAccumulation() {
        func parameters() -> (ParameterStore, Parameter) {
            let store = ParameterStore()
            return (store, makeParameter(store, "w", shape: [2, 2], values: [1, 2, 3, 4]))
        }
        let (_, accumulated) = parameters()
        let (_, single) = parameters()
        let a = AdamW([accumulated], learningRate: 0.01)
        let b = AdamW([single], learningRate: 0.01)
        for _ in 0..<3 {
            setGradient(accumulated, [0.5, -1, 2, 0.25])
            addGradient(accumulated, [0.25, 1, -1, 0.5])
            a.step()
            XCTAssertNil(accumulated.grad)
            setGradient(single, [0.75, 0, 1, 0.75])
            b.step()
        }
        XCTAssertEqual(accumulated.value.scalars, single.value.scalars)

        setGradient(accumulated, [9, 9, 9, 9])
        a.zeroGrad()
        XCTAssertNil(accumulated.grad)
        let before = accumulated.value.scalars
        a.step()
        XCTAssertEqual(accumulated.value.scalars, before, "no gradient, no update")
        XCTAssertEqual(a.state().moments["w"]?.step, 3, "a step without a gradient does not count for the parameter")
        XCTAssertEqual(a.stepCount, 4)
    }

    /// A tensor large enough to be split over threads gives the same bits as the plain loop.
    func testParallelUpdateMatchesSerialReference() {
        // Every build of the C kernel gives the scalar reference's bits: no fused multiply-adds,
        // and vector square roots and quotients round as scalar ones.
        forEachInstructionSet { isa in
            let n = 300_007
            let store = ParameterStore()
            let initial = Tensor.random([n], seed: 1).scalars
            let p = makeParameter(store, "big.weight", shape: [n], values: initial)
            let optimizer = AdamW([p], learningRate: 0.01, weightDecay: 0.1, weightDecayRule: .all)
            let grads = (0..<3).map { Tensor.random([n], seed: 10 + UInt64($0)).scalars }

            var (ref, m, v) = (initial, [Float](repeating: 0, count: n), [Float](repeating: 0, count: n))
            for (t, g) in grads.enumerated() {
                setGradient(p, g)
                optimizer.step()
                let step = Double(t + 1)
                let decay = Float(1 - 0.01 * 0.1), w = Float(1 - 0.9), b2 = Float(0.999), c2 = Float(1 - 0.999)
                let bc2 = Float((1 - pow(0.999, step)).squareRoot()), size = Float(-(0.01 / (1 - pow(0.9, step))))
                let eps = Float(1e-8)
                for i in 0..<n {
                    let pi = ref[i] * decay
                    m[i] = m[i] + w * (g[i] - m[i])
                    v[i] = v[i] * b2 + c2 * g[i] * g[i]
                    ref[i] = pi + size * m[i] / (v[i].squareRoot() / bc2 + eps)
                }
            }
            XCTAssertEqual(p.value.scalars, ref, isa)
            XCTAssertEqual(optimizer.state().moments["big.weight"]?.expAvgSq, v, isa)
        }
    }
}
