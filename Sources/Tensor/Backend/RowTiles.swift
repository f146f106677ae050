import Synchronization

/// Batch-invariant dense products for inference: C[m×n] (+)= A[m×k] · op(B), where every row of C
/// gets the same bits whatever m is, where the row sits in A and how many threads run.
///
/// BLAS libraries choose their kernels and blocking from a call's shape: on AVX2, oneDNN runs the
/// last 1–3 rows of a call through another kernel, and calls of a thousand rows or more with
/// another blocking, so a text's embedding used to change with its batch and the thread count.
/// Here the rows go in whole tiles of ``rows`` (split across cores; columns never are), and the
/// last rows in one call padded with zero rows to a multiple of a granule: the smallest divisor
/// of ``rows`` for which calls of that many rows, and every multiple of it below ``rows``, give
/// each row the bits a whole tile gives it, at another position in the call. The granule is
/// measured once per product shape (on the product's own weights), because the library's choice
/// depends on the shape and the CPU: 6 rows on AVX2's oneDNN, so a lone 8-token query pays for
/// 12 rows, not 96.
enum RowTiles {
    /// Rows per whole tile: a multiple of the row blocking of oneDNN's and OpenBLAS's fp32
    /// kernels (6 on AVX2, 8 and 16 on AVX-512), and large enough that the library's per-call
    /// packing costs little (48 rows ran 3–5% slower than 96 on AVX2).
    static let rows = 96

    static func sgemm(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int, transB: Bool,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        BLAS.gemmCalls.wrappingAdd(1, ordering: .relaxed)
        let call = Call(n: n, k: k, b: b, ldb: ldb, transB: transB, beta: beta)
        let whole = m / rows, rest = m - whole * rows
        let threads = Threads.count
        let parts = threads > 1 && m * n * k >= BLAS.splitThreshold && !Threads.isInParallelRegion
            ? max(1, min(threads, whole + (rest > 0 ? 1 : 0))) : 1
        let granule = rest > 0 ? granule(call) : rows
        let tiles = whole + (rest > 0 ? 1 : 0)
        Threads.parallelBlocks(parts) { part in
            for tile in (tiles * part / parts)..<(tiles * (part + 1) / parts) {
                let first = tile * rows
                if tile < whole {
                    call.run(m: rows, a: a + first * lda, lda: lda, c: c + first * ldc, ldc: ldc)
                } else {
                    call.runPadded(count: rest, to: (rest + granule - 1) / granule * granule,
                                   a: a + first * lda, lda: lda, c: c + first * ldc, ldc: ldc)
                }
            }
        }
    }

    /// One product's fixed operands.
    struct Call {
        let n: Int, k: Int
        let b: UnsafePointer<Float>, ldb: Int, transB: Bool
        let beta: Float

        func run(m: Int, a: UnsafePointer<Float>, lda: Int, c: UnsafeMutablePointer<Float>, ldc: Int) {
            BLAS.sgemmSerial(transA: false, transB: transB, m: m, n: n, k: k, alpha: 1, a: a, lda: lda,
                             b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        }

        /// `count` rows as one call of `padded` rows: the rest zeros, in scratch memory.
        func runPadded(count: Int, to padded: Int, a: UnsafePointer<Float>, lda: Int, c: UnsafeMutablePointer<Float>, ldc: Int) {
            let x = LowPrecision.Scratch<Float>(padded * k), y = LowPrecision.Scratch<Float>(padded * n)
            x.pointer.initialize(repeating: 0, count: padded * k)
            for r in 0..<count { (x.pointer + r * k).update(from: a + r * lda, count: k) }
            y.pointer.initialize(repeating: 0, count: padded * n)
            if beta != 0 {
                for r in 0..<count { (y.pointer + r * n).update(from: c + r * ldc, count: n) }
            }
            run(m: padded, a: x.pointer, lda: k, c: y.pointer, ldc: n)
            for r in 0..<count { (c + r * ldc).update(from: y.pointer + r * n, count: n) }
        }
    }

    private struct Shape: Hashable {
        let n: Int, k: Int, transB: Bool, accumulates: Bool
    }

    private static let granules = Mutex<[Shape: Int]>([:])

    /// The granule of `call`'s shape, measured on first use (see ``RowTiles``).
    static func granule(_ call: Call) -> Int {
        let shape = Shape(n: call.n, k: call.k, transB: call.transB, accumulates: call.beta != 0)
        if let known = granules.withLock({ $0[shape] }) { return known }
        let found = measureGranule(call)
        granules.withLock { $0[shape] = found }
        return found
    }

    /// Rows 0..<rows+1 of made-up input; the reference is a whole tile over rows 0..<rows, and a
    /// candidate call of M rows runs over rows 1...M, so each row sits one place earlier in it.
    private static func measureGranule(_ call: Call) -> Int {
        let (n, k) = (call.n, call.k)
        var x = [Float](repeating: 0, count: (rows + 1) * k)
        var state: UInt32 = 12345
        for i in x.indices {
            state = state &* 1_664_525 &+ 1_013_904_223
            x[i] = Float(Int32(bitPattern: state >> 8) - (1 << 23)) / Float(1 << 23)
        }
        let start = (0..<(rows * n)).map { Float($0 % 7) - 3 }   // what beta = 1 adds to
        var reference = start
        x.withUnsafeBufferPointer { xs in
            reference.withUnsafeMutableBufferPointer { call.run(m: rows, a: xs.baseAddress!, lda: k, c: $0.baseAddress!, ldc: n) }
        }
        candidates: for g in (1...rows) where rows % g == 0 && g < rows {
            for m in stride(from: g, to: rows, by: g) {
                var out = Array(start[n..<((m + 1) * n)])
                x.withUnsafeBufferPointer { xs in
                    out.withUnsafeMutableBufferPointer { call.run(m: m, a: xs.baseAddress! + k, lda: k, c: $0.baseAddress!, ldc: n) }
                }
                for i in out.indices where out[i].bitPattern != reference[n + i].bitPattern { continue candidates }
            }
            return g
        }
        return rows
    }
}
