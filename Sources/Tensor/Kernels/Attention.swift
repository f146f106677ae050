// Multi-head scaled dot-product attention as strided GEMMs: no head is ever copied out.
//
// Per batch item b and head h, with Q_bh, K_bh, V_bh the S×D column blocks of q, k, v:
//   P_bh   = softmax(scale · Q_bh · K_bhᵀ + mask_b)          (S×S, kept for backward)
//   P'_bh  = dropout(P_bh)                                   (training only)
//   ctx_bh = P'_bh · V_bh                                    (written into ctx's column block)
// Backward, given dctx:
//   dP'    = dctx_bh · V_bhᵀ,        dV_bh += P'ᵀ · dctx_bh,     dP = dP' ⊙ dropoutMask
//   dS     = scale · P ⊙ (dP − rowsum(dP ⊙ P))
//   dQ_bh += dS · K_bh,              dK_bh += dSᵀ · Q_bh
// The plain twin (reshape, permute, matmul, softmax) is in the tests.

extension Kernels {
    struct AttentionShape {
        let batch: Int, seq: Int, heads: Int, headDim: Int
        var hidden: Int { heads * headDim }
        /// Offset of block (b, h) in a [batch, seq, ld] matrix.
        func block(_ b: Int, _ h: Int, ld: Int) -> Int { b * seq * ld + h * headDim }
        /// Offset of the S×S score matrix of (b, h) in [batch, heads, seq, seq].
        func scores(_ b: Int, _ h: Int) -> Int { (b * heads + h) * seq * seq }

        /// Runs `body(b, h)` for every batch item and head, the pairs split across cores; each
        /// pair's products then run single-threaded and write disjoint blocks.
        func forEachHead(_ body: (Int, Int) -> Void) {
            Threads.parallelFor(batch * heads, work: batch * heads * seq * seq * headDim) { pairs in
                for pair in pairs { body(pair / heads, pair % heads) }
            }
        }
    }
}

extension Tensor {
    /// Multi-head attention over `query`, `key`, `value` of shape `[batch, seq, heads·headDim]`.
    ///
    /// - Parameters:
    ///   - mask: additive key mask `[batch, seq]`: 0 keeps a position, a large negative number drops it.
    ///   - dropout: probability applied to the attention weights in training (with `generator`).
    /// - Returns: the context `[batch, seq, heads·headDim]` and the attention probabilities
    ///   `[batch, heads, seq, seq]` (before dropout).
    public static func attention(
        query: Tensor, key: Tensor, value: Tensor, mask: Tensor?, heads: Int,
        dropout: Float = 0, training: Bool = false, generator: inout SeededGenerator
    ) -> (context: Tensor, probabilities: Tensor) {
        precondition(query.rank == 3 && key.shape == query.shape && value.shape == query.shape,
                     "attention: q \(query.shape), k \(key.shape), v \(value.shape)")
        let (batch, seq, hidden) = (query.shape[0], query.shape[1], query.shape[2])
        precondition(hidden % heads == 0, "hidden size \(hidden) is not a multiple of \(heads) heads")
        if let mask { precondition(mask.shape == [batch, seq], "attention mask \(mask.shape) for [\(batch), \(seq)]") }
        let s = Kernels.AttentionShape(batch: batch, seq: seq, heads: heads, headDim: hidden / heads)
        let scale = 1 / Float(s.headDim).squareRoot()

        let probs = Tensor.uninitialized([batch, heads, seq, seq])
        let context = Tensor.uninitialized([batch, seq, hidden])
        let (q, k, v) = (query.storage.pointer, key.storage.pointer, value.storage.pointer)
        let p = probs.storage.pointer
        s.forEachHead { b, h in
            BLAS.sgemm(transA: false, transB: true, m: seq, n: seq, k: s.headDim, alpha: scale,
                       a: q + s.block(b, h, ld: hidden), lda: hidden, b: k + s.block(b, h, ld: hidden), ldb: hidden,
                       beta: 0, c: p + s.scores(b, h), ldc: seq)
        }
        Kernels.softmaxForward(x: p, mask: mask?.storage.pointer, rowsPerMaskRow: heads * seq,
                               y: p, rows: batch * heads * seq, cols: seq)

        // Dropout on the weights: keep the scaled keep-mask; weighted = P ⊙ keepMask.
        var keepMask: Tensor? = nil
        var weighted = probs
        if training && dropout > 0 {
            let m = Tensor.uninitialized(probs.shape)
            let keep = 1 - dropout
            let mp = m.storage.pointer
            for i in 0..<m.count { mp[i] = generator.nextUnit() < keep ? 1 / keep : 0 }
            weighted = Tensor.uninitialized(probs.shape)
            let w = weighted.storage.pointer
            for i in 0..<m.count { w[i] = p[i] * mp[i] }
            keepMask = m
        }
        let w = weighted.storage.pointer, c = context.storage.pointer
        s.forEachHead { b, h in
            BLAS.sgemm(transA: false, transB: false, m: seq, n: s.headDim, k: seq,
                       a: w + s.scores(b, h), lda: seq, b: v + s.block(b, h, ld: hidden), ldb: hidden,
                       beta: 0, c: c + s.block(b, h, ld: hidden), ldc: hidden)
        }

        context.recorded("attention", inputs: [query, key, value]) { g in
            let dctx = g.storage.pointer
            let (q, k, v) = (query.storage.pointer, key.storage.pointer, value.storage.pointer)
            let p = probs.storage.pointer, w = weighted.storage.pointer
            let dq = query.requiresGrad ? query.gradBuffer() : nil
            let dk = key.requiresGrad ? key.gradBuffer() : nil
            let dv = value.requiresGrad ? value.gradBuffer() : nil
            let dScores = Tensor.uninitialized(probs.shape)
            let ds = dScores.storage.pointer
            s.forEachHead { b, h in
                let blk = s.block(b, h, ld: hidden), sc = s.scores(b, h)
                if let dv {
                    BLAS.sgemm(transA: true, transB: false, m: seq, n: s.headDim, k: seq,
                               a: w + sc, lda: seq, b: dctx + blk, ldb: hidden, beta: 1, c: dv + blk, ldc: hidden)
                }
                if dq != nil || dk != nil {
                    BLAS.sgemm(transA: false, transB: true, m: seq, n: seq, k: s.headDim,
                               a: dctx + blk, lda: hidden, b: v + blk, ldb: hidden, beta: 0, c: ds + sc, ldc: seq)
                }
            }
            guard dq != nil || dk != nil else { return }
            if let keepMask {
                let m = keepMask.storage.pointer
                for i in 0..<dScores.count { ds[i] *= m[i] }
            }
            Kernels.softmaxBackward(y: p, dy: ds, dx: ds, rows: batch * heads * seq, cols: seq)
            s.forEachHead { b, h in
                let blk = s.block(b, h, ld: hidden), sc = s.scores(b, h)
                if let dq {
                    BLAS.sgemm(transA: false, transB: false, m: seq, n: s.headDim, k: seq, alpha: scale,
                               a: ds + sc, lda: seq, b: k + blk, ldb: hidden, beta: 1, c: dq + blk, ldc: hidden)
                }
                if let dk {
                    BLAS.sgemm(transA: true, transB: false, m: seq, n: s.headDim, k: seq, alpha: scale,
                               a: ds + sc, lda: seq, b: q + blk, ldb: hidden, beta: 1, c: dk + blk, ldc: hidden)
                }
            }
        }
        return (context, probs)
    }
}
