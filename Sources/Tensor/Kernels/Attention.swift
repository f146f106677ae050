// Multi-head scaled dot-product attention as strided GEMMs: no head is ever copied out.
//
// Per sequence i and head h, with Q_ih, K_ih, V_ih the L×D column blocks of q, k, v (L = the
// sequence's length):
//   P_ih   = softmax(scale · Q_ih · K_ihᵀ + mask_i)          (L×L, kept for backward)
//   P'_ih  = dropout(P_ih)                                   (training only)
//   ctx_ih = P'_ih · V_ih                                    (written into ctx's column block)
// Backward, given dctx:
//   dP'    = dctx_ih · V_ihᵀ,        dV_ih += P'ᵀ · dctx_ih,     dP = dP' ⊙ dropoutMask
//   dS     = scale · P ⊙ (dP − rowsum(dP ⊙ P))
//   dQ_ih += dS · K_ih,              dK_ih += dSᵀ · Q_ih
// Each (sequence, head) pair runs all of its steps in one task, so its L×L block stays in cache
// between the products and the softmax. The plain twin (reshape, permute, matmul, softmax) is in
// the tests.

import CKernels
import Foundation

/// Which keys each query sees, and how a batch's tokens are laid out.
public enum AttentionMask {
    /// Activations `[batch, seq, hidden]`, every sequence padded to `seq`, with an optional
    /// additive key mask `[batch, seq]`: 0 keeps a position, a very negative number drops it.
    case padded(Tensor?)
    /// Activations `[tokens, hidden]` holding the sequences back to back with no padding:
    /// sequence i is the next `lengths[i]` rows, and its tokens see only each other.
    case packed(lengths: [Int])
}

extension Kernels {
    /// The (sequence, head) blocks of one attention call.
    struct AttentionPlan {
        let heads: Int, headDim: Int
        /// Each sequence's first row in the `[rows, hidden]` activations, and its length.
        let starts: [Int], lengths: [Int]
        /// Where each sequence's `[heads, L, L]` scores begin.
        let scoreStarts: [Int]
        /// The total size of the score buffer.
        let scoreCount: Int
        var hidden: Int { heads * headDim }

        init(lengths: [Int], heads: Int, headDim: Int) {
            (self.lengths, self.heads, self.headDim) = (lengths, heads, headDim)
            var starts: [Int] = [], scoreStarts: [Int] = []
            var row = 0, score = 0
            for length in lengths {
                starts.append(row)
                scoreStarts.append(score)
                row += length
                score += heads * length * length
            }
            (self.starts, self.scoreStarts, scoreCount) = (starts, scoreStarts, score)
        }

        /// Offset of block (i, h) in a `[rows, hidden]` matrix.
        func block(_ i: Int, _ h: Int) -> Int { starts[i] * hidden + h * headDim }
        /// Offset of the L×L score matrix of (i, h).
        func scores(_ i: Int, _ h: Int) -> Int { scoreStarts[i] + h * lengths[i] * lengths[i] }

        /// Runs `body(i, h)` for every sequence and head, the pairs split across cores; each
        /// pair's products then run single-threaded and write disjoint blocks.
        func forEachHead(_ body: (_ sequence: Int, _ head: Int, _ pair: Int) -> Void) {
            let pairs = lengths.count * heads
            Threads.parallelFor(pairs, work: scoreCount * headDim) { range in
                for pair in range { body(pair / heads, pair % heads, pair) }
            }
        }
    }
}

extension Kernels {
    /// Whether attention without dropout runs the fused per-head kernel (CKernels' attention.c)
    /// for heads `headDim` wide: on AVX2 and AVX-512, unless ``Settings/fusedAttention`` asks for the strided
    /// GEMMs. Both compute the same numbers, within float rounding.
    public static func fusedAttention(headDim: Int) -> Bool {
        Settings.fusedAttention && bertkit_attention_head_supported(headDim) != 0
    }

    /// Where one attention call reads q, k and v: three column blocks of width `hidden` in rows of
    /// `ld` floats (separate tensors: ld = hidden; one fused QKV tensor: ld = 3·hidden).
    struct AttentionOperands {
        let q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>
        let ld: Int
    }

    /// The scratch an attention call keeps for its backward pass.
    struct AttentionState {
        let probabilities: Tensor
        /// P ⊙ keepMask when dropping, else the probabilities themselves.
        let weighted: Tensor
        /// The scaled keep-mask, when dropping.
        let keepMask: Tensor?
    }

    /// The forward pass into `context` (`[rows, hidden]`, row stride hidden). With `keepsProbabilities`
    /// false and the fused kernel, each block of P lives in L1 only and the returned probabilities
    /// are empty.
    static func attentionForward(
        _ plan: AttentionPlan, _ x: AttentionOperands, mask: Tensor?, probabilityShape: [Int],
        dropout: Float, training: Bool, keepsProbabilities: Bool, generator: inout SeededGenerator,
        context: UnsafeMutablePointer<Float>
    ) -> AttentionState {
        let (d, hidden, ld) = (plan.headDim, plan.hidden, x.ld)
        let scale = 1 / Float(d).squareRoot()
        // Dropout on the weights keeps the scaled keep-mask; weighted = P ⊙ keepMask. Each pair
        // draws from its own generator, seeded from one draw of `generator`, so the masks do not
        // depend on how the pairs are split across cores.
        let dropping = training && dropout > 0
        // Without dropout, one fused pass per head where the CPU has it (AVX2, AVX-512): scores,
        // softmax and P·V four or eight query rows at a time, P still in L1 for its product.
        let fused = !dropping && Kernels.fusedAttention(headDim: d)
        let discards = fused && !keepsProbabilities
        let probs = Tensor.uninitialized(discards ? [0] : probabilityShape)
        let keepMask = dropping ? Tensor.uninitialized(probabilityShape) : nil
        let weighted = dropping ? Tensor.uninitialized(probabilityShape) : probs
        let dropoutSeed = dropping ? generator.next() : 0
        // Keyed by example (data-parallel training): each sequence's masks follow from its own key.
        let keys = generator.sequenceKeys.flatMap { $0.keys.count == plan.lengths.count ? $0.keys : nil }
        let keep = 1 - dropout
        let (p, w, c) = (probs.storage.pointer, weighted.storage.pointer, context)
        let m = keepMask?.storage.pointer, maskRows = mask?.storage.pointer
        plan.forEachHead { i, h, pair in
            let (length, sc) = (plan.lengths[i], plan.scores(i, h))
            let (blk, out) = (plan.starts[i] * ld + h * d, plan.block(i, h))
            if fused && bertkit_attention_head(x.q + blk, x.k + blk, x.v + blk, ld, length, d, scale,
                                               maskRows.map { $0 + i * length }, discards ? nil : p + sc,
                                               c + out, hidden) != 0 {
                return
            }
            precondition(!discards, "the fused attention kernel refused a head it supports")
            BLAS.sgemm(transA: false, transB: true, m: length, n: length, k: d, alpha: scale,
                       a: x.q + blk, lda: ld, b: x.k + blk, ldb: ld, beta: 0, c: p + sc, ldc: length)
            Kernels.softmaxRows(x: p + sc, mask: maskRows.map { $0 + i * length }, y: p + sc, rows: length, cols: length)
            if let m {
                var g = SeededGenerator(seed: keys.map { SeededGenerator.mix(dropoutSeed, $0[i], UInt64(h)) }
                    ?? dropoutSeed ^ (UInt64(pair) &* 0xD1B5_4A32_D192_ED03))
                for e in sc..<(sc + length * length) {
                    m[e] = g.nextUnit() < keep ? 1 / keep : 0
                    w[e] = p[e] * m[e]
                }
            }
            BLAS.sgemm(transA: false, transB: false, m: length, n: d, k: length,
                       a: w + sc, lda: length, b: x.v + blk, ldb: ld, beta: 0, c: c + out, ldc: hidden)
        }
        return AttentionState(probabilities: probs, weighted: weighted, keepMask: keepMask)
    }

    /// The backward pass: accumulates into dq, dk, dv (laid out as the operands; nil = not needed).
    static func attentionBackward(
        _ plan: AttentionPlan, _ x: AttentionOperands, _ state: AttentionState, dContext: UnsafePointer<Float>,
        dq: UnsafeMutablePointer<Float>?, dk: UnsafeMutablePointer<Float>?, dv: UnsafeMutablePointer<Float>?
    ) {
        let (d, hidden, ld) = (plan.headDim, plan.hidden, x.ld)
        let scale = 1 / Float(d).squareRoot()
        let p = state.probabilities.storage.pointer, w = state.weighted.storage.pointer
        let m = state.keepMask?.storage.pointer
        let dScores = dq != nil || dk != nil ? Tensor.uninitialized(state.probabilities.shape) : nil
        let ds = dScores?.storage.pointer
        plan.forEachHead { i, h, _ in
            let (length, sc) = (plan.lengths[i], plan.scores(i, h))
            let (blk, out) = (plan.starts[i] * ld + h * d, plan.block(i, h))
            if let dv {
                BLAS.sgemm(transA: true, transB: false, m: length, n: d, k: length,
                           a: w + sc, lda: length, b: dContext + out, ldb: hidden, beta: 1, c: dv + blk, ldc: ld)
            }
            guard let ds else { return }
            BLAS.sgemm(transA: false, transB: true, m: length, n: length, k: d,
                       a: dContext + out, lda: hidden, b: x.v + blk, ldb: ld, beta: 0, c: ds + sc, ldc: length)
            if let m { for e in sc..<(sc + length * length) { ds[e] *= m[e] } }
            Kernels.softmaxBackwardRows(y: p + sc, dy: ds + sc, dx: ds + sc, rows: length, cols: length)
            if let dq {
                BLAS.sgemm(transA: false, transB: false, m: length, n: d, k: length, alpha: scale,
                           a: ds + sc, lda: length, b: x.k + blk, ldb: ld, beta: 1, c: dq + blk, ldc: ld)
            }
            if let dk {
                BLAS.sgemm(transA: true, transB: false, m: length, n: d, k: length, alpha: scale,
                           a: ds + sc, lda: length, b: x.q + blk, ldb: ld, beta: 1, c: dk + blk, ldc: ld)
            }
        }
    }

    /// The plan, mask and probability shape for activations of `shape` (last axis `width`).
    static func attentionPlan(
        _ layout: AttentionMask, shape: [Int], hidden: Int, heads: Int
    ) -> (plan: AttentionPlan, mask: Tensor?, probabilityShape: [Int]) {
        precondition(heads > 0 && hidden % heads == 0, "hidden size \(hidden) is not a multiple of \(heads) heads")
        switch layout {
        case .padded(let mask):
            precondition(shape.count == 3, "padded attention needs [batch, seq, features], got \(shape)")
            let (batch, seq) = (shape[0], shape[1])
            if let mask { precondition(mask.shape == [batch, seq], "attention mask \(mask.shape) for [\(batch), \(seq)]") }
            let plan = AttentionPlan(lengths: Array(repeating: seq, count: batch), heads: heads, headDim: hidden / heads)
            return (plan, mask, [batch, heads, seq, seq])
        case .packed(let lengths):
            precondition(shape.count == 2 && lengths.reduce(0, +) == shape[0],
                         "packed attention: \(shape) for sequences of \(lengths.reduce(0, +)) tokens in all")
            let plan = AttentionPlan(lengths: lengths, heads: heads, headDim: hidden / heads)
            return (plan, nil, [plan.scoreCount])
        }
    }
}

extension Tensor {
    /// Multi-head attention over `query`, `key`, `value` of shape `[batch, seq, heads·headDim]`,
    /// with an optional additive key mask `[batch, seq]`; see ``attention(query:key:value:layout:heads:dropout:training:generator:)``.
    public static func attention(
        query: Tensor, key: Tensor, value: Tensor, mask: Tensor?, heads: Int,
        dropout: Float = 0, training: Bool = false, generator: inout SeededGenerator
    ) -> (context: Tensor, probabilities: Tensor) {
        attention(query: query, key: key, value: value, layout: .padded(mask), heads: heads,
                  dropout: dropout, training: training, generator: &generator)
    }

    /// Multi-head attention.
    ///
    /// - Parameters:
    ///   - query, key, value: `[batch, seq, heads·headDim]` for a padded layout, `[tokens, heads·headDim]`
    ///     for a packed one.
    ///   - layout: padded with a key mask, or packed sequences (see ``AttentionMask``).
    ///   - dropout: probability applied to the attention weights in training (with `generator`).
    ///   - discardsProbabilities: no one reads the probabilities: without a recorded gradient they
    ///     come back empty, and the fused kernel never writes them (150 MB per 32×128 MiniLM batch).
    /// - Returns: the context, shaped as `query`, and the attention probabilities before dropout:
    ///   `[batch, heads, seq, seq]` when padded, each sequence's `[heads, L, L]` one after another
    ///   (flat) when packed.
    public static func attention(
        query: Tensor, key: Tensor, value: Tensor, layout: AttentionMask, heads: Int,
        dropout: Float = 0, training: Bool = false, generator: inout SeededGenerator, discardsProbabilities: Bool = false
    ) -> (context: Tensor, probabilities: Tensor) {
        precondition(key.shape == query.shape && value.shape == query.shape,
                     "attention: q \(query.shape), k \(key.shape), v \(value.shape)")
        let hidden = query.shape.last ?? 0
        let (plan, mask, probabilityShape) = Kernels.attentionPlan(layout, shape: query.shape, hidden: hidden, heads: heads)
        let x = Kernels.AttentionOperands(q: query.storage.pointer, k: key.storage.pointer, v: value.storage.pointer, ld: hidden)
        let context = Tensor.uninitialized(query.shape)
        let keeps = !discardsProbabilities || Tensor.needsGrad([query, key, value])
        let state = Kernels.attentionForward(plan, x, mask: mask, probabilityShape: probabilityShape, dropout: dropout,
                                             training: training, keepsProbabilities: keeps, generator: &generator,
                                             context: context.storage.pointer)
        context.recorded("attention", inputs: [query, key, value]) { g in
            let x = Kernels.AttentionOperands(q: query.storage.pointer, k: key.storage.pointer, v: value.storage.pointer, ld: hidden)
            Kernels.attentionBackward(plan, x, state, dContext: g.storage.pointer,
                                      dq: query.requiresGrad ? query.gradBuffer() : nil,
                                      dk: key.requiresGrad ? key.gradBuffer() : nil,
                                      dv: value.requiresGrad ? value.gradBuffer() : nil)
        }
        return (context, state.probabilities)
    }

    /// Multi-head attention over one fused projection `qkv` whose last axis holds the query,
    /// key and value side by side (`3·hidden` wide), as one `[3·hidden, in]` linear layer makes
    /// them. Reads the three blocks in place; the gradient flows back into `qkv` alone.
    /// Otherwise as ``attention(query:key:value:layout:heads:dropout:training:generator:)``.
    public static func attention(
        qkv: Tensor, layout: AttentionMask, heads: Int,
        dropout: Float = 0, training: Bool = false, generator: inout SeededGenerator, discardsProbabilities: Bool = false
    ) -> (context: Tensor, probabilities: Tensor) {
        let width = qkv.shape.last ?? 0
        precondition(width % 3 == 0, "fused qkv needs a last axis of 3·hidden, got \(qkv.shape)")
        let hidden = width / 3
        let (plan, mask, probabilityShape) = Kernels.attentionPlan(layout, shape: qkv.shape, hidden: hidden, heads: heads)
        func operands() -> Kernels.AttentionOperands {
            let base = qkv.storage.pointer
            return Kernels.AttentionOperands(q: base, k: base + hidden, v: base + 2 * hidden, ld: width)
        }
        let context = Tensor.uninitialized(Array(qkv.shape.dropLast()) + [hidden])
        let keeps = !discardsProbabilities || Tensor.needsGrad([qkv])
        let state = Kernels.attentionForward(plan, operands(), mask: mask, probabilityShape: probabilityShape, dropout: dropout,
                                             training: training, keepsProbabilities: keeps, generator: &generator,
                                             context: context.storage.pointer)
        context.recorded("attention", inputs: [qkv]) { g in
            let d = qkv.gradBuffer()
            Kernels.attentionBackward(plan, operands(), state, dContext: g.storage.pointer,
                                      dq: d, dk: d + hidden, dv: d + 2 * hidden)
        }
        return (context, state.probabilities)
    }
}
