import Layers
import Tensor
import TestSupport
import XCTest

final class OptimStateTests: XCTestCase {
    private func model(seed: UInt64) -> ParameterStore {
        let store = ParameterStore()
        _ = makeParameter(store, "dense.weight", shape: [3, 2], values: Tensor.random([3, 2], seed: seed).scalars)
        _ = makeParameter(store, "dense.bias", shape: [3], values: Tensor.random([3], seed: seed + 1).scalars)
        _ = makeParameter(store, "head.weight", shape: [2, 3], values: Tensor.random([2, 3], seed: seed + 2).scalars)
        return store
    }

    private func train(_ store: ParameterStore, _ optimizer: AdamW, steps: Range<Int>) {
        for step in steps {
            for (i, p) in store.parameters.enumerated() where !(p.name == "head.weight" && step % 3 == 0) {
                setGradient(p, Tensor.random(p.shape, seed: UInt64(100 * step + i)).scalars)
            }
            optimizer.clipGradientNorm(maxNorm: 1)
            optimizer.step()
        }
    }

    private func optimizer(_ store: ParameterStore) -> AdamW {
        AdamW(store.parameters, schedule: .linear(peak: 0.01, warmupSteps: 2, totalSteps: 8))
    }

    /// Save after 3 steps through the flat form a checkpoint file holds, restore into a fresh
    /// optimizer over a copy of the parameters, and both runs continue bit for bit alike.
    func testSaveAndRestoreResumesExactly() throws {
        let original = model(seed: 1)
        let a = optimizer(original)
        train(original, a, steps: 0..<3)

        let saved = a.state()
        XCTAssertEqual(saved.step, 3)
        XCTAssertEqual(saved.moments["head.weight"]?.step, 2, "head.weight had no gradient on step 0")
        XCTAssertEqual(saved.moments["dense.bias"]?.shape, [3])
        XCTAssertEqual(Set(saved.tensors.keys), [
            "exp_avg.dense.weight", "exp_avg_sq.dense.weight", "exp_avg.dense.bias", "exp_avg_sq.dense.bias",
            "exp_avg.head.weight", "exp_avg_sq.head.weight",
        ])
        XCTAssertEqual(saved.metadata["step"], "3")
        XCTAssertEqual(saved.metadata["step.head.weight"], "2")
        let reread = try AdamWState(tensors: saved.tensors, metadata: saved.metadata)
        XCTAssertEqual(reread, saved)

        let resumed = model(seed: 1)
        for (p, q) in zip(resumed.parameters, original.parameters) { p.value.assign(q.value) }
        let b = optimizer(resumed)
        try b.restore(reread)
        XCTAssertEqual(b.stepCount, 3)
        XCTAssertEqual(b.learningRate, a.learningRate)
        XCTAssertEqual(b.state(), saved)

        train(original, a, steps: 3..<6)
        train(resumed, b, steps: 3..<6)
        for (p, q) in zip(resumed.parameters, original.parameters) {
            XCTAssertEqual(p.value.scalars, q.value.scalars, p.name)
        }
        XCTAssertEqual(b.state(), a.state())
    }

    func testRestoreRejectsStateThatDoesNotFit() throws {
        let store = model(seed: 2)
        let a = optimizer(store)
        train(store, a, steps: 0..<2)
        let good = a.state()
        let before = a.state()

        var unknown = good
        unknown.moments["other.weight"] = good.moments["dense.weight"]
        XCTAssertThrowsError(try a.restore(unknown)) {
            XCTAssertEqual($0 as? OptimizerStateError, .unknownParameter("other.weight"))
        }
        var reshaped = good
        reshaped.moments["dense.weight"]!.shape = [2, 3]
        XCTAssertThrowsError(try a.restore(reshaped)) {
            XCTAssertEqual($0 as? OptimizerStateError, .shapeMismatch(key: "exp_avg.dense.weight", expected: [3, 2], found: [2, 3]))
        }
        var short = good
        short.moments["dense.bias"]!.expAvgSq.removeLast()
        XCTAssertThrowsError(try a.restore(short)) {
            XCTAssertEqual($0 as? OptimizerStateError, .countMismatch(key: "exp_avg_sq.dense.bias", expected: 3, found: 2))
        }
        XCTAssertEqual(a.state(), before, "a failed restore changes nothing")

        // Parameters without saved moments start fresh.
        var partial = good
        partial.moments["head.weight"] = nil
        try a.restore(partial)
        XCTAssertNil(a.state().moments["head.weight"])
        XCTAssertEqual(a.stateElementCount, 2 * (6 + 3))
    }

    func testReadingFlatStateReportsTheKey() {
        let tensors = ["exp_avg.w": StateTensor(shape: [2], values: [1, 2]),
                       "exp_avg_sq.w": StateTensor(shape: [2], values: [3, 4])]
        let metadata = ["optimizer": "AdamW", "step": "5", "step.w": "4"]
        XCTAssertEqual(try AdamWState(tensors: tensors, metadata: metadata),
                       AdamWState(step: 5, moments: ["w": .init(step: 4, shape: [2], expAvg: [1, 2], expAvgSq: [3, 4])]))

        func error(_ tensors: [String: StateTensor], _ metadata: [String: String]) -> OptimizerStateError? {
            do { _ = try AdamWState(tensors: tensors, metadata: metadata); return nil } catch { return error }
        }
        var noStep = metadata
        noStep["step"] = nil
        XCTAssertEqual(error(tensors, noStep), .missingKey("step"))
        XCTAssertEqual(error(tensors, metadata.merging(["step.w": "four"]) { $1 }), .invalidStep(key: "step.w", value: "four"))
        XCTAssertEqual(error(tensors, metadata.merging(["optimizer": "SGD"]) { $1 }), .wrongOptimizer(found: "SGD"))
        XCTAssertEqual(error(tensors.filter { $0.key != "exp_avg_sq.w" }, metadata), .missingKey("exp_avg_sq.w"))
        XCTAssertEqual(error(tensors.filter { $0.key != "exp_avg.w" }, metadata), .missingKey("exp_avg.w"))
        XCTAssertEqual(error(tensors.merging(["momentum.w": StateTensor(shape: [2], values: [0, 0])]) { $1 }, metadata),
                       .unexpectedKey("momentum.w"))
        XCTAssertEqual(error(tensors.merging(["exp_avg.w": StateTensor(shape: [3], values: [0, 0])]) { $1 }, metadata),
                       .countMismatch(key: "exp_avg.w", expected: 3, found: 2))
        XCTAssertEqual(error(tensors.merging(["exp_avg.w": StateTensor(shape: [1, 2], values: [0, 0])]) { $1 }, metadata),
                       .shapeMismatch(key: "exp_avg_sq.w", expected: [1, 2], found: [2]))
        XCTAssertEqual(OptimizerStateError.missingKey("step.w").description, "optimizer state has no step.w")
    }
}
