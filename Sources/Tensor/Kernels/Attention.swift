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
    /// - Returns: the context, shaped as `query`, and the attention probabilities before dropout:
    ///   `[batch, heads, seq, seq]` when padded, each sequence's `[heads, L, L]` one after another
    ///   (flat) when packed.
    public static func attention(
        query: Tensor, key: Tensor, value: Tensor, layout: AttentionMask, heads: Int,
        dropout: Float = 0, training: Bool = false, generator: inout SeededGenerator
    ) -> (context: Tensor, probabilities: Tensor) {
        precondition(key.shape == query.shape && value.shape == query.shape,
                     "attention: q \(query.shape), k \(key.shape), v \(value.shape)")
        let hidden = query.shape.last ?? 0
        precondition(hidden % heads == 0, "hidden size \(hidden) is not a multiple of \(heads) heads")
        let plan: Kernels.AttentionPlan, mask: Tensor?, probabilityShape: [Int]
        switch layout {
        case .padded(let m):
            precondition(query.rank == 3, "padded attention needs [batch, seq, hidden], got \(query.shape)")
            let (batch, seq) = (query.shape[0], query.shape[1])
            if let m { precondition(m.shape == [batch, seq], "attention mask \(m.shape) for [\(batch), \(seq)]") }
            plan = Kernels.AttentionPlan(lengths: Array(repeating: seq, count: batch), heads: heads, headDim: hidden / heads)
            (mask, probabilityShape) = (m, [batch, heads, seq, seq])
        case .packed(let lengths):
            precondition(query.rank == 2 && lengths.reduce(0, +) == query.shape[0],
                         "packed attention: \(query.shape) for sequences of \(lengths.reduce(0, +)) tokens in all")
            plan = Kernels.AttentionPlan(lengths: lengths, heads: heads, headDim: hidden / heads)
            (mask, probabilityShape) = (nil, [plan.scoreCount])
        }
        let scale = 1 / Float(plan.headDim).squareRoot()
        let d = plan.headDim

        let probs = Tensor.uninitialized(probabilityShape)
        let context = Tensor.uninitialized(query.shape)
        // Dropout on the weights keeps the scaled keep-mask; weighted = P ⊙ keepMask. Each pair
        // draws from its own generator, seeded from one draw of `generator`, so the masks do not
        // depend on how the pairs are split across cores.
        let dropping = training && dropout > 0
        let keepMask = dropping ? Tensor.uninitialized(probabilityShape) : nil
        let weighted = dropping ? Tensor.uninitialized(probabilityShape) : probs
        let dropoutSeed = dropping ? generator.next() : 0
        let keep = 1 - dropout
        do {
            let (q, k, v) = (query.storage.pointer, key.storage.pointer, value.storage.pointer)
            let (p, w, c) = (probs.storage.pointer, weighted.storage.pointer, context.storage.pointer)
            let m = keepMask?.storage.pointer, maskRows = mask?.storage.pointer
            plan.forEachHead { i, h, pair in
                let (length, blk, sc) = (plan.lengths[i], plan.block(i, h), plan.scores(i, h))
                BLAS.sgemm(transA: false, transB: true, m: length, n: length, k: d, alpha: scale,
                           a: q + blk, lda: hidden, b: k + blk, ldb: hidden, beta: 0, c: p + sc, ldc: length)
                Kernels.softmaxRows(x: p + sc, mask: maskRows.map { $0 + i * length }, y: p + sc, rows: length, cols: length)
                if let m {
                    var g = SeededGenerator(seed: dropoutSeed ^ (UInt64(pair) &* 0xD1B5_4A32_D192_ED03))
                    for e in sc..<(sc + length * length) {
                        m[e] = g.nextUnit() < keep ? 1 / keep : 0
                        w[e] = p[e] * m[e]
                    }
                }
                BLAS.sgemm(transA: false, transB: false, m: length, n: d, k: length,
                           a: w + sc, lda: length, b: v + blk, ldb: hidden, beta: 0, c: c + blk, ldc: hidden)
            }
        }

        context.recorded("attention", inputs: [query, key, value]) { g in
            let dctx = g.storage.pointer
            let (q, k, v) = (query.storage.pointer, key.storage.pointer, value.storage.pointer)
            let p = probs.storage.pointer, w = weighted.storage.pointer, m = keepMask?.storage.pointer
            let dq = query.requiresGrad ? query.gradBuffer() : nil
            let dk = key.requiresGrad ? key.gradBuffer() : nil
            let dv = value.requiresGrad ? value.gradBuffer() : nil
            let needScores = dq != nil || dk != nil
            let dScores = needScores ? Tensor.uninitialized(probabilityShape) : nil
            let ds = dScores?.storage.pointer
            plan.forEachHead { i, h, _ in
                let (length, blk, sc) = (plan.lengths[i], plan.block(i, h), plan.scores(i, h))
                if let dv {
                    BLAS.sgemm(transA: true, transB: false, m: length, n: d, k: length,
                               a: w + sc, lda: length, b: dctx + blk, ldb: hidden, beta: 1, c: dv + blk, ldc: hidden)
                }
                guard let ds else { return }
                BLAS.sgemm(transA: false, transB: true, m: length, n: length, k: d,
                           a: dctx + blk, lda: hidden, b: v + blk, ldb: hidden, beta: 0, c: ds + sc, ldc: length)
                if let m { for e in sc..<(sc + length * length) { ds[e] *= m[e] } }
                Kernels.softmaxBackwardRows(y: p + sc, dy: ds + sc, dx: ds + sc, rows: length, cols: length)
                if let dq {
                    BLAS.sgemm(transA: false, transB: false, m: length, n: d, k: length, alpha: scale,
                               a: ds + sc, lda: length, b: k + blk, ldb: hidden, beta: 1, c: dq + blk, ldc: hidden)
                }
                if let dk {
                    BLAS.sgemm(transA: true, transB: false, m: length, n: d, k: length, alpha: scale,
                               a: ds + sc, lda: length, b: q + blk, ldb: hidden, beta: 1, c: dk + blk, ldc: hidden)
                }
            }
        }
        return (context, probs)
    }
}
