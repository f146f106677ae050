// Matrix products through BLAS sgemm: plain, with transposes, and batched.
//
// C = op(A) · op(B), where op transposes when asked. With A' = op(A), B' = op(B):
//   dA' = dC · B'ᵀ        dB' = A'ᵀ · dC
// and for a transposed operand the gradient is the transpose of that. Each case below is one
// sgemm that accumulates (beta = 1) straight into the gradient buffer.

extension Kernels {
    /// The dimensions of one product: op(A) is m×k, op(B) is k×n.
    struct GemmShape {
        let m: Int, n: Int, k: Int
        let transA: Bool, transB: Bool
        var lda: Int { transA ? m : k }
        var ldb: Int { transB ? k : n }
    }

    /// C[m×n] (+)= op(A) · op(B), `batch` times, each operand advancing by its stride (0 = shared).
    static func gemm(
        _ s: GemmShape, batch: Int,
        a: UnsafePointer<Float>, strideA: Int, b: UnsafePointer<Float>, strideB: Int,
        c: UnsafeMutablePointer<Float>, strideC: Int, beta: Float
    ) {
        // Batch items write disjoint blocks of C, so they can run on different cores.
        Threads.parallelFor(batch, work: batch * s.m * s.n * s.k / 64) { items in
            for i in items {
                BLAS.sgemm(transA: s.transA, transB: s.transB, m: s.m, n: s.n, k: s.k,
                           a: a + i * strideA, lda: s.lda, b: b + i * strideB, ldb: s.ldb,
                           beta: beta, c: c + i * strideC, ldc: s.n)
            }
        }
    }

    /// Backward of `gemm`: accumulates dA and/or dB given dC (nil pointers are skipped).
    static func gemmBackward(
        _ s: GemmShape, batch: Int,
        a: UnsafePointer<Float>, strideA: Int, b: UnsafePointer<Float>, strideB: Int,
        dC: UnsafePointer<Float>, strideC: Int,
        dA: UnsafeMutablePointer<Float>?, dB: UnsafeMutablePointer<Float>?
    ) {
        let (m, n, k) = (s.m, s.n, s.k)
        if let dA {
            // dA' (m×k) = dC (m×n) · B'ᵀ;  transposed: dA (k×m) = B' · dCᵀ
            let shape = s.transA
                ? GemmShape(m: k, n: m, k: n, transA: s.transB, transB: true)
                : GemmShape(m: m, n: k, k: n, transA: false, transB: !s.transB)
            for i in 0..<batch {
                let (x, ldx, y, ldy) = s.transA
                    ? (b + i * strideB, s.ldb, dC + i * strideC, n)
                    : (dC + i * strideC, n, b + i * strideB, s.ldb)
                BLAS.sgemm(transA: shape.transA, transB: shape.transB, m: shape.m, n: shape.n, k: shape.k,
                           a: x, lda: ldx, b: y, ldb: ldy, beta: 1, c: dA + i * strideA, ldc: shape.n)
            }
        }
        if let dB {
            // dB' (k×n) = A'ᵀ · dC;  transposed: dB (n×k) = dCᵀ · A'
            let shape = s.transB
                ? GemmShape(m: n, n: k, k: m, transA: true, transB: s.transA)
                : GemmShape(m: k, n: n, k: m, transA: !s.transA, transB: false)
            // With a shared B (strideB == 0) every batch item adds into the same dB.
            for i in 0..<batch {
                let (x, ldx, y, ldy) = s.transB
                    ? (dC + i * strideC, n, a + i * strideA, s.lda)
                    : (a + i * strideA, s.lda, dC + i * strideC, n)
                BLAS.sgemm(transA: shape.transA, transB: shape.transB, m: shape.m, n: shape.n, k: shape.k,
                           a: x, lda: ldx, b: y, ldb: ldy, beta: 1, c: dB + i * strideB, ldc: shape.n)
            }
        }
    }
}

extension Tensor {
    /// Matrix product of the last two axes: `op(self) · op(other)`.
    ///
    /// - `self` is `[..., m, k]` (or `[..., k, m]` with `transposeSelf`).
    /// - `other` is either a matrix `[k, n]` (`[n, k]` with `transposeOther`), shared by every
    ///   leading index of `self`, or has the same leading axes as `self` (a batched product).
    /// - The result is `[..., m, n]`.
    public func matmul(_ other: Tensor, transposeSelf: Bool = false, transposeOther: Bool = false) -> Tensor {
        precondition(rank >= 2 && other.rank >= 2, "matmul needs rank ≥ 2, got \(shape) and \(other.shape)")
        let lead = Array(shape.dropLast(2))
        let (m, k) = transposeSelf ? (shape[rank - 1], shape[rank - 2]) : (shape[rank - 2], shape[rank - 1])
        let (k2, n) = transposeOther
            ? (other.shape[other.rank - 1], other.shape[other.rank - 2])
            : (other.shape[other.rank - 2], other.shape[other.rank - 1])
        precondition(k == k2, "matmul inner sizes differ: \(shape)\(transposeSelf ? "ᵀ" : "") · \(other.shape)\(transposeOther ? "ᵀ" : "")")
        let sharedOther = other.rank == 2
        precondition(sharedOther || Array(other.shape.dropLast(2)) == lead,
                     "batched matmul needs equal leading axes: \(shape) · \(other.shape)")
        let batch = Tensor.elementCount(lead)

        // A shared right operand with an untransposed left one is a single tall product.
        let folded = sharedOther && !transposeSelf
        let s = GemmShape(m: folded ? batch * m : m, n: n, k: k, transA: transposeSelf, transB: transposeOther)
        let calls = folded ? 1 : batch
        let (strideA, strideB, strideC) = (folded ? 0 : m * k, sharedOther ? 0 : k * n, folded ? 0 : m * n)

        let out = Tensor.uninitialized(lead + [m, n])
        Kernels.gemm(s, batch: calls, a: storage.pointer, strideA: strideA, b: other.storage.pointer, strideB: strideB,
                     c: out.storage.pointer, strideC: strideC, beta: 0)
        return out.recorded("matmul", inputs: [self, other]) { [self] g in
            Kernels.gemmBackward(
                s, batch: calls, a: storage.pointer, strideA: strideA, b: other.storage.pointer, strideB: strideB,
                dC: g.storage.pointer, strideC: strideC,
                dA: requiresGrad ? gradBuffer() : nil, dB: other.requiresGrad ? other.gradBuffer() : nil)
        }
    }

    private typealias GemmShape = Kernels.GemmShape
}

extension Tensor {
    /// A dense layer in PyTorch's layout: `self · weightᵀ + bias`, with `weight` `[out, in]`.
    /// One product writes on top of the broadcast bias; the plain twin is `matmul` then `+`.
    /// Runs in ``Precision/current``.
    public func linear(weight: Tensor, bias: Tensor?) -> Tensor {
        linear(weights: [weight], biases: bias.map { [$0] })
    }

    /// Several dense layers that read the same input, their outputs side by side:
    /// `[..., in]` → `[..., out₀ + out₁ + …]`, each layer writing its own block of columns.
    /// BERT's query, key and value projections run this way: the input is read once, no weight
    /// is copied, and attention reads the three blocks in place.
    public func linear(weights: [Tensor], biases: [Tensor]?) -> Tensor {
        precondition(!weights.isEmpty, "linear needs at least one weight")
        let inFeatures = shape.last ?? 0
        for w in weights {
            precondition(w.rank == 2 && w.shape[1] == inFeatures, "linear: input \(shape) for weight \(w.shape)")
        }
        precondition(biases == nil || biases!.count == weights.count, "linear: \(biases!.count) biases for \(weights.count) weights")
        let widths = weights.map { $0.shape[0] }
        let offsets = widths.indices.map { widths[..<$0].reduce(0, +) }
        let total = widths.reduce(0, +)
        let rows = count / Swift.max(inFeatures, 1)
        let out = Tensor.uninitialized(Array(shape.dropLast()) + [total])
        let y = out.storage.pointer, x = storage.pointer
        if let biases {
            for (i, b) in biases.enumerated() {
                precondition(b.shape == [widths[i]], "linear: bias \(b.shape) for \(widths[i]) outputs")
            }
        }
        let inputs = [self] + weights + (biases ?? [])
        let recording = Tensor.needsGrad(inputs)
        let precision = LowPrecision.running(Precision.current)
        precondition(precision != .int8 || !recording, "int8 is for inference: train in fp32 or bf16")

        // int8 adds the bias in its epilogue; the others write on top of the broadcast bias.
        // Weights that no gradient reaches (inference, evaluation, a frozen encoder) are converted
        // once and kept; trained ones are converted on every call.
        let packed = precision == .int8
            || (precision == .bf16 && (!GradMode.isEnabled || !weights.contains(where: \.requiresGrad)))
        if let biases, !(packed && precision == .int8) {
            let biasPointers = biases.map { $0.storage.pointer }
            Threads.parallelFor(rows, work: rows * total) { range in
                for r in range {
                    for (i, b) in biasPointers.enumerated() { (y + r * total + offsets[i]).update(from: b, count: widths[i]) }
                }
            }
        }
        let accumulate = biases != nil
        /// y[:, block] (+)= x · Wᵀ in fp32: in fixed tiles of rows when nothing records a gradient
        /// (inference is batch- and thread-invariant, see ``RowTiles``), else split freely.
        func product(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>, n: Int, y: UnsafeMutablePointer<Float>) {
            if !recording && Settings.batchInvariant {
                RowTiles.sgemm(m: rows, n: n, k: inFeatures, a: x, lda: inFeatures, b: w, ldb: inFeatures,
                               transB: true, beta: accumulate ? 1 : 0, c: y, ldc: total)
            } else {
                BLAS.sgemm(transA: false, transB: true, m: rows, n: n, k: inFeatures, a: x, lda: inFeatures,
                           b: w, ldb: inFeatures, beta: accumulate ? 1 : 0, c: y, ldc: total)
            }
        }

        if packed {
            // Inference (or frozen weights): each weight converted once and kept.
            LowPrecision.linearPacked(x, rows: rows, inFeatures: inFeatures,
                                      weights: weights.map { LowPrecision.packed($0, precision) }, offsets: offsets,
                                      biases: weights.indices.map { i -> UnsafePointer<Float>? in
                                          guard precision == .int8, let b = biases?[i] else { return nil }
                                          return UnsafePointer(b.storage.pointer)
                                      },
                                      accumulate: accumulate && precision != .int8, y: y, ldy: total)
            if !recording { return out }
        }

        // Training in bf16 converts this step's input and weights; the backward pass reuses them.
        let halfInput = precision == .bf16 ? LowPrecision.BF16Buffer(x, count: count) : nil
        let halfWeights = precision == .bf16 ? weights.map { LowPrecision.BF16Buffer($0.storage.pointer, count: $0.count) } : []
        if !packed && halfInput == nil && weights.count > 1
            && (!GradMode.isEnabled || !weights.contains(where: \.requiresGrad)) {
            // Weights that do not train: one product over their stacked copy.
            let joined = withNoGrad { LowPrecision.joined(weights) }
            product(x, joined.storage.pointer, n: total, y: y)
        } else if !packed {
            for (i, w) in weights.enumerated() {
                if let halfInput {
                    LowPrecision.gemmBF16(transA: false, transB: true, m: rows, n: widths[i], k: inFeatures,
                                          a: halfInput.pointer, lda: inFeatures, b: halfWeights[i].pointer, ldb: inFeatures,
                                          accumulate: accumulate, c: y + offsets[i], ldc: total)
                } else {
                    product(x, w.storage.pointer, n: widths[i], y: y + offsets[i])
                }
            }
        }
        return out.recorded(weights.count == 1 ? "linear" : "linear×\(weights.count)", inputs: inputs) { [self] g in
            let dy = g.storage.pointer
            let halfGrad = halfInput == nil ? nil : LowPrecision.BF16Buffer(dy, count: g.count)
            for (i, w) in weights.enumerated() {
                let (n, o) = (widths[i], offsets[i])
                // dx[rows×in] += dy_i[rows×n] · W_i[n×in]
                if requiresGrad {
                    if let halfGrad {
                        LowPrecision.gemmBF16(transA: false, transB: false, m: rows, n: inFeatures, k: n,
                                              a: halfGrad.pointer + o, lda: total, b: halfWeights[i].pointer, ldb: inFeatures,
                                              accumulate: true, c: gradBuffer(), ldc: inFeatures)
                    } else {
                        BLAS.sgemm(transA: false, transB: false, m: rows, n: inFeatures, k: n, a: dy + o, lda: total,
                                   b: w.storage.pointer, ldb: inFeatures, beta: 1, c: gradBuffer(), ldc: inFeatures)
                    }
                }
                // dW_i[n×in] += dy_iᵀ · x
                if w.requiresGrad {
                    if let halfGrad, let halfInput {
                        LowPrecision.gemmBF16(transA: true, transB: false, m: n, n: inFeatures, k: rows,
                                              a: halfGrad.pointer + o, lda: total, b: halfInput.pointer, ldb: inFeatures,
                                              accumulate: true, c: w.gradBuffer(), ldc: inFeatures)
                    } else {
                        BLAS.sgemm(transA: true, transB: false, m: n, n: inFeatures, k: rows, a: dy + o, lda: total,
                                   b: x, ldb: inFeatures, beta: 1, c: w.gradBuffer(), ldc: inFeatures)
                    }
                }
                if let b = biases?[i], b.requiresGrad {
                    Kernels.addColumnSums(dy + o, rows: rows, cols: n, ld: total, into: b.gradBuffer())
                }
            }
        }
    }
}

extension Kernels {
    /// sums[j] += Σ_r x[r, j]   (x: rows × cols): a broadcast bias's gradient.
    /// Rows are `ld` apart (`cols` when nil): a block of columns of a wider matrix.
    static func addColumnSums(_ x: UnsafePointer<Float>, rows: Int, cols: Int, ld: Int? = nil,
                              into sums: UnsafeMutablePointer<Float>) {
        let ld = ld ?? cols
        // Each thread takes a range of columns over every row.
        Threads.parallelFor(cols, work: rows * cols) { columns in
            for r in 0..<rows {
                let row = x + r * ld
                for j in columns { sums[j] += row[j] }
            }
        }
    }
}
