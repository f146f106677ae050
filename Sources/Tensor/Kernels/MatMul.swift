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
    /// One sgemm writes on top of the broadcast bias; the plain twin is `matmul` then `+`.
    public func linear(weight: Tensor, bias: Tensor?) -> Tensor {
        precondition(weight.rank == 2 && shape.last == weight.shape[1],
                     "linear: input \(shape) for weight \(weight.shape)")
        let (outFeatures, inFeatures) = (weight.shape[0], weight.shape[1])
        let rows = count / Swift.max(inFeatures, 1)
        let out = Tensor.uninitialized(Array(shape.dropLast()) + [outFeatures])
        let y = out.storage.pointer
        if let bias {
            precondition(bias.shape == [outFeatures], "linear: bias \(bias.shape) for \(outFeatures) outputs")
            let b = bias.storage.pointer
            Threads.parallelFor(rows, work: rows * outFeatures) { range in
                for r in range { (y + r * outFeatures).update(from: b, count: outFeatures) }
            }
        }
        let s = Kernels.GemmShape(m: rows, n: outFeatures, k: inFeatures, transA: false, transB: true)
        Kernels.gemm(s, batch: 1, a: storage.pointer, strideA: 0, b: weight.storage.pointer, strideB: 0,
                     c: y, strideC: 0, beta: bias == nil ? 0 : 1)
        let inputs = bias.map { [self, weight, $0] } ?? [self, weight]
        return out.recorded("linear", inputs: inputs) { [self] g in
            Kernels.gemmBackward(
                s, batch: 1, a: storage.pointer, strideA: 0, b: weight.storage.pointer, strideB: 0,
                dC: g.storage.pointer, strideC: 0,
                dA: requiresGrad ? gradBuffer() : nil, dB: weight.requiresGrad ? weight.gradBuffer() : nil)
            if let bias, bias.requiresGrad {
                Kernels.addColumnSums(g.storage.pointer, rows: rows, cols: outFeatures, into: bias.gradBuffer())
            }
        }
    }
}

extension Kernels {
    /// sums[j] += Σ_r x[r, j]   (x: rows × cols): a broadcast bias's gradient.
    static func addColumnSums(_ x: UnsafePointer<Float>, rows: Int, cols: Int, into sums: UnsafeMutablePointer<Float>) {
        // Each thread takes a range of columns over every row.
        Threads.parallelFor(cols, work: rows * cols) { columns in
            for r in 0..<rows {
                let row = x + r * cols
                for j in columns { sums[j] += row[j] }
            }
        }
    }
}
