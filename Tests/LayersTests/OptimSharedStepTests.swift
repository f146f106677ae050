import Layers
import Tensor
import TestSupport
import XCTest

/// Data-parallel ranks on one host keep one copy of the parameters and moments in shared memory
/// and each steps a part of every parameter (`AdamW.placeMoments`, `step(part:)`). Two optimizers
/// over two models whose values and moments are placed in the same memory stand for two ranks here:
/// together they must give the bits, and the state, of one optimizer taking whole steps.
final class OptimSharedStepTests: XCTestCase {
    private let shapes: [(String, [Int])] = [("dense.weight", [5, 3]), ("dense.bias", [5]), ("head.weight", [2, 5]), ("late.bias", [4])]

    private func model() -> ParameterStore {
        let store = ParameterStore()
        for (k, (name, shape)) in shapes.enumerated() {
            _ = makeParameter(store, name, shape: shape, values: Tensor.random(shape, seed: UInt64(k + 1)).scalars)
        }
        return store
    }

    private func optimizer(_ store: ParameterStore) -> AdamW {
        AdamW(store.parameters, schedule: .linear(peak: 0.01, warmupSteps: 2, totalSteps: 8))
    }

    /// The step's gradients; head.weight has none on every third step (no rank's loss reached it),
    /// late.bias none before step 4 (its moments are made in the shared memory).
    private func setGradients(_ store: ParameterStore, step: Int) {
        for (i, p) in store.parameters.enumerated() where !(p.name == "head.weight" && step % 3 == 0) && !(p.name == "late.bias" && step < 4) {
            setGradient(p, Tensor.random(p.shape, seed: UInt64(100 * step + i)).scalars)
        }
    }

    func testTwoPartsOfSharedStateMakeTheWholeStep() throws {
        let reference = model(), single = optimizer(reference)
        let a = model(), b = model()
        let (first, second) = (optimizer(a), optimizer(b))
        let counts = a.parameters.map(\.count)
        let offsets = counts.indices.map { counts[..<$0].reduce(0, +) }
        let total = counts.reduce(0, +)
        // values, m, v, one after another, as SharedOptimizerState lays them out
        let memory = UnsafeMutablePointer<Float>.allocate(capacity: 3 * total)
        memory.initialize(repeating: .nan, count: 3 * total)   // moments must be zeroed where they are made
        defer { memory.deallocate() }
        let placement: AdamW.MomentPlacement = { i in (memory + total + offsets[i], memory + 2 * total + offsets[i]) }

        // Two steps before the state is shared, as a resumed run has moments already.
        for step in 0..<2 {
            for store in [reference, a, b] { setGradients(store, step: step) }
            single.step()
            first.step()
            second.step()
        }
        for (store, copying) in [(a, true), (b, false)] {
            for (p, offset) in zip(store.parameters, offsets) { p.value.moveValues(to: memory + offset, copying: copying) }
        }
        first.placeMoments(placement)
        second.placeMoments(placement)
        // The first rank steps the first 7 elements of every parameter, the second the rest.
        let cut = 7
        for step in 2..<7 {
            for store in [reference, a, b] { setGradients(store, step: step) }
            single.step(gradientScale: 0.5)
            first.step(gradientScale: 0.5) { i in 0..<min(cut, counts[i]) }
            second.step(gradientScale: 0.5) { i in min(cut, counts[i])..<counts[i] }
            for (p, q) in zip(reference.parameters, b.parameters) { XCTAssertEqual(q.value.scalars, p.value.scalars, "\(p.name) at step \(step)") }
        }
        XCTAssertEqual(first.state(), single.state())
        XCTAssertEqual(second.state(), single.state())

        // Back in memory of their own, the values and moments stay, and no longer follow the memory.
        for store in [a, b] { for p in store.parameters { p.value.ownValues() } }
        first.ownMoments()
        memory.update(repeating: 0, count: 3 * total)
        XCTAssertEqual(first.state(), single.state())
        for (p, q) in zip(reference.parameters, a.parameters) { XCTAssertEqual(q.value.scalars, p.value.scalars, p.name) }
    }

    /// A restore into placed moments writes them there (every rank restores the same checkpoint).
    func testRestoreWritesIntoPlacedMoments() throws {
        let reference = model(), single = optimizer(reference)
        for step in 0..<3 { setGradients(reference, step: step); single.step() }
        let saved = single.state()

        let store = model(), placed = optimizer(store)
        let total = store.parameters.reduce(0) { $0 + $1.count }
        let memory = UnsafeMutablePointer<Float>.allocate(capacity: 2 * total)
        memory.initialize(repeating: 0, count: 2 * total)
        defer { memory.deallocate() }
        var offset = 0, offsets: [Int] = []
        for p in store.parameters { offsets.append(offset); offset += p.count }
        placed.placeMoments { i in (memory + offsets[i], memory + total + offsets[i]) }
        try placed.restore(saved)
        XCTAssertEqual(placed.state(), saved)
        let m = saved.moments["dense.bias"]!
        XCTAssertEqual(Array(UnsafeBufferPointer(start: memory + offsets[1], count: 5)), m.expAvg)
        XCTAssertNil(saved.moments["late.bias"], "no gradient yet")
        XCTAssertEqual(Array(UnsafeBufferPointer(start: memory + total + offsets[1], count: 5)), m.expAvgSq)
        placed.ownMoments()
    }
}
