import Tensor
import TestSupport
import XCTest

/// The fused, copy-free attention kernel against its plain twin built from generic ops.
final class AttentionTests: XCTestCase {
    func plainAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor, mask: Tensor?, heads: Int) -> Tensor {
        let (b, s, hidden) = (q.shape[0], q.shape[1], q.shape[2])
        let d = hidden / heads
        func split(_ x: Tensor) -> Tensor { x.reshaped([b, s, heads, d]).permuted([0, 2, 1, 3]) }
        let scores = split(q).matmul(split(k), transposeOther: true).scaled(1 / Float(d).squareRoot())
        let probs = scores.softmax(mask: mask)
        return probs.matmul(split(v)).permuted([0, 2, 1, 3]).reshaped([b, s, hidden])
    }

    func testMatchesPlainTwinForwardAndBackward() {
        for (b, s, heads, d) in [(2, 5, 3, 4), (1, 1, 1, 3), (3, 7, 2, 1)] {
            let q = Tensor.random([b, s, heads * d], seed: 1, requiresGrad: true)
            let k = Tensor.random([b, s, heads * d], seed: 2, requiresGrad: true)
            let v = Tensor.random([b, s, heads * d], seed: 3, requiresGrad: true)
            var maskValues = [Float](repeating: 0, count: b * s)
            if s > 2 { maskValues[b * s - 1] = -1e9; maskValues[b * s - 2] = -1e9 }
            let mask = Tensor(shape: [b, s], scalars: maskValues)
            var g = SeededGenerator(seed: 0)
            let fused = Tensor.attention(query: q, key: k, value: v, mask: mask, heads: heads, generator: &g).context
            assertClose(fused.scalars, plainAttention(q, k, v, mask: mask, heads: heads).scalars, tolerance: 1e-5)
            assertGradients([q, k, v], "attention b\(b) s\(s) h\(heads) d\(d)") { x in
                var g = SeededGenerator(seed: 0)
                return Tensor.attention(query: x[0], key: x[1], value: x[2], mask: mask, heads: heads, generator: &g).context
            }
        }
    }

    /// Heads 16 to 64 wide take the fused per-head kernel on AVX-512 (scores, softmax and P·V in
    /// one pass, CKernels' attention.c): it must give the plain twin's context and probabilities,
    /// with lengths that leave partial 16-column tiles and partial row blocks, a masked key, a
    /// fully masked query row, and the gradient that flows back through the kept probabilities.
    func testFusedHeadKernelMatchesThePlainTwin() {
        forEachInstructionSet { isa in fusedHeadKernelMatchesThePlainTwin(isa) }
    }

    func fusedHeadKernelMatchesThePlainTwin(_ isa: String) {
        for (b, s, heads, d) in [(2, 37, 2, 32), (1, 70, 1, 64), (3, 5, 3, 16), (1, 17, 2, 48), (2, 1, 1, 32), (2, 11, 2, 8), (1, 23, 1, 24)] {
            let q = Tensor.random([b, s, heads * d], seed: 21, requiresGrad: true)
            let k = Tensor.random([b, s, heads * d], seed: 22, requiresGrad: true)
            let v = Tensor.random([b, s, heads * d], seed: 23, requiresGrad: true)
            var maskValues = [Float](repeating: 0, count: b * s)
            if s > 3 { maskValues[s - 1] = -1e9; maskValues[s - 3] = -.infinity }
            let mask = Tensor(shape: [b, s], scalars: maskValues)
            var g = SeededGenerator(seed: 0)
            let (context, probabilities) = Tensor.attention(query: q, key: k, value: v, mask: mask, heads: heads, generator: &g)
            let label = "\(isa): b\(b) s\(s) h\(heads) d\(d), fused \(Kernels.fusedAttention(headDim: d))"
            assertClose(context.scalars, plainAttention(q, k, v, mask: mask, heads: heads).scalars, tolerance: 1e-5, label)
            let split = { (x: Tensor) in x.reshaped([b, s, heads, d]).permuted([0, 2, 1, 3]) }
            let plainProbabilities = split(q).matmul(split(k), transposeOther: true).scaled(1 / Float(d).squareRoot())
                .softmax(mask: mask)
            assertClose(probabilities.scalars, plainProbabilities.scalars, tolerance: 1e-6, label)
            let upstream = Tensor.random(context.shape, seed: 24)
            func gradients(_ run: () -> Tensor) -> [[Float]] {
                for x in [q, k, v] { x.zeroGrad() }
                (run() * upstream).sum().backward()
                return [q, k, v].map { $0.grad!.scalars }
            }
            let fusedGradients = gradients {
                var g = SeededGenerator(seed: 0)
                return Tensor.attention(query: q, key: k, value: v, mask: mask, heads: heads, generator: &g).context
            }
            let plainGradients = gradients { plainAttention(q, k, v, mask: mask, heads: heads) }
            for (fused, plain) in zip(fusedGradients, plainGradients) { assertClose(fused, plain, tolerance: 1e-5, label) }
        }
    }

    /// Where the encoder runs for inference without output_attentions, attention need not keep
    /// its probabilities: the context is the same, and a call that records gradients keeps them.
    func testDiscardedProbabilitiesLeaveTheContextAlone() {
        let (b, s, heads, d) = (2, 19, 2, 32)
        let qkv = Tensor.random([b * s, 3 * heads * d], seed: 41)
        let layout = AttentionMask.packed(lengths: [s, s])
        var g = SeededGenerator(seed: 0)
        let kept = withNoGrad { Tensor.attention(qkv: qkv, layout: layout, heads: heads, generator: &g) }
        let discarded = withNoGrad {
            Tensor.attention(qkv: qkv, layout: layout, heads: heads, generator: &g, discardsProbabilities: true)
        }
        XCTAssertEqual(kept.context.scalars, discarded.context.scalars)
        XCTAssertEqual(kept.probabilities.count, b * heads * s * s)
        XCTAssertEqual(discarded.probabilities.count, Kernels.fusedAttention(headDim: d) ? 0 : b * heads * s * s)
        let trained = Tensor.random([b * s, 3 * heads * d], seed: 41, requiresGrad: true)
        let recorded = Tensor.attention(qkv: trained, layout: layout, heads: heads, generator: &g, discardsProbabilities: true)
        XCTAssertEqual(recorded.probabilities.count, b * heads * s * s, "the backward pass needs them")
    }

    /// A query whose every key is masked with −∞ gets zero weights, on both paths.
    func testFullyMaskedRowGivesZeros() {
        let (s, d) = (6, 32)
        let x = Tensor.random([1, s, d], seed: 31)
        let mask = Tensor(shape: [1, s], scalars: [Float](repeating: -.infinity, count: s))
        var g = SeededGenerator(seed: 0)
        let (context, probabilities) = Tensor.attention(query: x, key: x, value: x, mask: mask, heads: 1, generator: &g)
        XCTAssertEqual(Set(context.scalars), [0])
        XCTAssertEqual(Set(probabilities.scalars), [0])
    }

    /// On a CPU with AVX2 or AVX-512 the fused kernel is what runs at MiniLM's and BERT-base's
    /// head sizes; heads 24 wide take it on AVX2 (8-lane tiles) but not on AVX-512 (16-lane tiles).
    func testFusedKernelIsChosenOnAVX2AndAVX512() {
        let features = CPUInfo.current.features
        let avx512 = features.contains("avx512f"), avx2 = features.contains("avx2") && features.contains("fma")
        XCTAssertEqual(Kernels.fusedAttention(headDim: 32), avx512 || avx2)
        XCTAssertEqual(Kernels.fusedAttention(headDim: 64), avx512 || avx2)
        XCTAssertEqual(Kernels.fusedAttention(headDim: 24), !avx512 && avx2)
        XCTAssertFalse(Kernels.fusedAttention(headDim: 12), "12 is not a multiple of 8")
    }

    func testDropoutGradient() {
        let q = Tensor.random([2, 4, 6], seed: 4, requiresGrad: true)
        let k = Tensor.random([2, 4, 6], seed: 5, requiresGrad: true)
        let v = Tensor.random([2, 4, 6], seed: 6, requiresGrad: true)
        assertGradients([q, k, v], "attention dropout") { x in
            var g = SeededGenerator(seed: 9)
            return Tensor.attention(query: x[0], key: x[1], value: x[2], mask: nil, heads: 2,
                                    dropout: 0.3, training: true, generator: &g).context
        }
    }

    // MARK: Packed sequences

    /// Rows of a padded `[batch, seq, width]` tensor at the real positions, back to back.
    func packedRows(_ x: Tensor, lengths: [Int]) -> Tensor {
        let (batch, seq, width) = (x.shape[0], x.shape[1], x.shape[2])
        let rows = (0..<batch).flatMap { b in (0..<lengths[b]).map { b * seq + $0 } }
        return x.reshaped([batch * seq, width]).gathered(axis: 0, indices: rows)
    }

    func testPackedSequencesMatchThePaddedBatchAtRealPositions() {
        // Lengths with a full row, a short one, a single token and an empty sequence.
        let (seq, heads, d) = (6, 3, 4)
        let lengths = [6, 2, 1, 0, 4]
        let batch = lengths.count
        let q = Tensor.random([batch, seq, heads * d], seed: 11, requiresGrad: true)
        let k = Tensor.random([batch, seq, heads * d], seed: 12, requiresGrad: true)
        let v = Tensor.random([batch, seq, heads * d], seed: 13, requiresGrad: true)
        let mask = Tensor(shape: [batch, seq], scalars: lengths.flatMap { n in (0..<seq).map { $0 < n ? 0 : -Float.greatestFiniteMagnitude } })
        var g = SeededGenerator(seed: 0)
        let padded = Tensor.attention(query: q, key: k, value: v, mask: mask, heads: heads, generator: &g).context
        let packed = Tensor.attention(query: packedRows(q, lengths: lengths), key: packedRows(k, lengths: lengths),
                                      value: packedRows(v, lengths: lengths), layout: .packed(lengths: lengths),
                                      heads: heads, generator: &g)
        XCTAssertEqual(packed.context.shape, [lengths.reduce(0, +), heads * d])
        XCTAssertEqual(packed.probabilities.count, lengths.map { heads * $0 * $0 }.reduce(0, +))
        assertClose(packed.context.scalars, packedRows(padded, lengths: lengths).scalars, tolerance: 1e-6)

        // The same gradients reach q, k and v through either layout (padding rows get none).
        func gradients(_ loss: Tensor) -> [[Float]] {
            for t in [q, k, v] { t.zeroGrad() }
            loss.backward()
            return [q, k, v].map { $0.grad!.scalars }
        }
        let weights = Tensor.random([lengths.reduce(0, +), heads * d], seed: 14)
        let viaPadded = gradients((packedRows(padded, lengths: lengths) * weights).sum())
        let viaPacked = gradients((packed.context * weights).sum())
        for (a, b) in zip(viaPadded, viaPacked) { assertClose(b, a, tolerance: 1e-5) }
    }

    func testPackedGradient() {
        let lengths = [3, 1, 5]
        let rows = lengths.reduce(0, +)
        let q = Tensor.random([rows, 8], seed: 21, requiresGrad: true)
        let k = Tensor.random([rows, 8], seed: 22, requiresGrad: true)
        let v = Tensor.random([rows, 8], seed: 23, requiresGrad: true)
        for (dropout, training) in [(Float(0), false), (0.3, true)] {
            assertGradients([q, k, v], "packed attention, dropout \(dropout)") { x in
                var g = SeededGenerator(seed: 5)
                return Tensor.attention(query: x[0], key: x[1], value: x[2], layout: .packed(lengths: lengths), heads: 2,
                                        dropout: dropout, training: training, generator: &g).context
            }
        }
    }

    func testDropoutMasksDoNotDependOnTheThreadCount() {
        let q = Tensor.random([4, 16, 32], seed: 31), k = Tensor.random([4, 16, 32], seed: 32)
        let v = Tensor.random([4, 16, 32], seed: 33)
        func run(threads: Int) -> [Float] {
            let before = Threads.count
            Threads.set(threads)
            defer { Threads.set(before) }
            var g = SeededGenerator(seed: 8)
            return Tensor.attention(query: q, key: k, value: v, mask: nil, heads: 4, dropout: 0.2, training: true,
                                    generator: &g).context.scalars
        }
        let one = run(threads: 1)
        XCTAssertEqual(one, run(threads: 2))
        var g = SeededGenerator(seed: 8)
        let noDropout = Tensor.attention(query: q, key: k, value: v, mask: nil, heads: 4, generator: &g).context.scalars
        XCTAssertGreaterThan(maxAbsDifference(one, noDropout), 1e-3, "dropout changed nothing")
    }

    func testScatterIsTheInverseOfGather() {
        let x = Tensor.random([3, 4], seed: 41, requiresGrad: true)
        let rows = [5, 0, 2]
        let out = x.scattered(rows: rows, count: 6)
        XCTAssertEqual(out.shape, [6, 4])
        assertClose(out.gathered(axis: 0, indices: rows).scalars, x.scalars, tolerance: 0)
        XCTAssertEqual(Array(out.scalars[4..<8]), [0, 0, 0, 0])
        assertGradients([x], "scatter") { $0[0].scattered(rows: rows, count: 6) }
    }

    func testFusedProjectionReadsTheThreeBlocksInPlace() {
        let (heads, d) = (3, 4)
        let hidden = heads * d
        let mask = Tensor(shape: [2, 5], scalars: [0, 0, 0, 0, 0, 0, 0, 0, -1e9, -1e9])
        for (shape, layout) in [([2, 5, 3 * hidden], AttentionMask.padded(mask)), ([7, 3 * hidden], .packed(lengths: [4, 0, 3]))] {
            let qkv = Tensor.random(shape, seed: 51, requiresGrad: true)
            let axis = shape.count - 1
            func block(_ x: Tensor, _ i: Int) -> Tensor { x.sliced(axis: axis, (i * hidden)..<((i + 1) * hidden)) }
            var g = SeededGenerator(seed: 0)
            let fused = Tensor.attention(qkv: qkv, layout: layout, heads: heads, generator: &g)
            let separate = Tensor.attention(query: block(qkv, 0), key: block(qkv, 1), value: block(qkv, 2), layout: layout,
                                            heads: heads, generator: &g)
            assertClose(fused.context.scalars, separate.context.scalars, tolerance: 1e-6)
            assertClose(fused.probabilities.scalars, separate.probabilities.scalars, tolerance: 1e-6)
            assertGradients([qkv], "fused qkv \(shape)") { x in
                var g = SeededGenerator(seed: 3)
                return Tensor.attention(qkv: x[0], layout: layout, heads: heads, dropout: 0.2, training: true, generator: &g).context
            }
        }
    }
}
