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
/// 12 rows, not 96. Such a call's columns are split between cores in fixed blocks, where the same
/// measurement shows that the blocks give the bits of one call.
enum RowTiles {
    /// Rows per whole tile: a multiple of the row blocking of oneDNN's and OpenBLAS's fp32
    /// kernels (6 on AVX2, 8 and 16 on AVX-512), and large enough that the library's per-call
    /// packing costs little (48-row calls were a few percent slower than 96 on AVX2).
    static let rows = 96

    /// Columns per block when a call of fewer rows than a tile is split between cores.
    static let columnBlock = 192

    static func sgemm(
        m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int, transB: Bool,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        WorkCounters.countProducts()
        let call = Call(n: n, k: k, b: b, ldb: ldb, transB: transB, beta: beta)
        let whole = m / rows, rest = m - whole * rows
        let threads = Threads.count
        let large = threads > 1 && m * n * k >= BLAS.splitThreshold && !Threads.isInParallelRegion
        let measured = rest > 0 ? measurement(call) : Measurement(granule: rows, splitsColumns: false)
        let padded = (rest + measured.granule - 1) / measured.granule * measured.granule
        if whole == 0 {
            // Fewer rows than a tile (a short text alone): its columns go to the cores in fixed
            // blocks where the measurement found that this changes no bit, else one call.
            call.runPadded(count: rest, to: padded, a: a, lda: lda, c: c, ldc: ldc,
                           columnParts: large && measured.splitsColumns ? threads : 1)
            return
        }
        let tiles = whole + (rest > 0 ? 1 : 0)
        let parts = large ? min(threads, tiles) : 1
        Threads.parallelBlocks(parts) { part in
            for tile in (tiles * part / parts)..<(tiles * (part + 1) / parts) {
                let first = tile * rows
                if tile < whole {
                    call.run(m: rows, a: a + first * lda, lda: lda, c: c + first * ldc, ldc: ldc)
                } else {
                    call.runPadded(count: rest, to: padded, a: a + first * lda, lda: lda, c: c + first * ldc, ldc: ldc)
                }
            }
        }
    }

    /// One product's fixed operands.
    struct Call {
        let n: Int, k: Int
        let b: UnsafePointer<Float>, ldb: Int, transB: Bool
        let beta: Float

        /// C[m × columns] (+)= A · op(B)[:, columns], columns counted from C's first.
        func run(m: Int, a: UnsafePointer<Float>, lda: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                 columns: Range<Int>? = nil) {
            let columns = columns ?? 0..<n
            BLAS.sgemmSerial(transA: false, transB: transB, m: m, n: columns.count, k: k, alpha: 1, a: a, lda: lda,
                             b: BLAS.blockOfB(b, cols: columns, transposed: transB, ld: ldb), ldb: ldb,
                             beta: beta, c: c + columns.lowerBound, ldc: ldc)
        }

        /// The column blocks of ``RowTiles/columnBlock``, the last one narrower.
        var columnBlocks: [Range<Int>] {
            stride(from: 0, to: n, by: columnBlock).map { $0..<Swift.min($0 + columnBlock, n) }
        }

        /// `count` rows as one call of `padded` rows (the rest zeros, in scratch memory), or as one
        /// call per column block, the blocks split between `columnParts` cores.
        func runPadded(count: Int, to padded: Int, a: UnsafePointer<Float>, lda: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
                       columnParts: Int = 1) {
            let x = LowPrecision.Scratch<Float>(padded * k), y = LowPrecision.Scratch<Float>(padded * n)
            x.pointer.initialize(repeating: 0, count: padded * k)
            for r in 0..<count { (x.pointer + r * k).update(from: a + r * lda, count: k) }
            y.pointer.initialize(repeating: 0, count: padded * n)
            if beta != 0 {
                for r in 0..<count { (y.pointer + r * n).update(from: c + r * ldc, count: n) }
            }
            let blocks = columnBlocks
            if columnParts > 1 && blocks.count > 1 {
                let parts = Swift.min(columnParts, blocks.count)
                // Each part writes its own column blocks of y.
                Threads.parallelBlocks(parts) { part in
                    for block in blocks[(blocks.count * part / parts)..<(blocks.count * (part + 1) / parts)] {
                        run(m: padded, a: x.pointer, lda: k, c: y.pointer, ldc: n, columns: block)
                    }
                }
            } else {
                run(m: padded, a: x.pointer, lda: k, c: y.pointer, ldc: n)
            }
            for r in 0..<count { (c + r * ldc).update(from: y.pointer + r * n, count: n) }
        }
    }

    private struct Shape: Hashable {
        let n: Int, k: Int, transB: Bool, accumulates: Bool
    }

    /// What was measured for a product shape: the granule, and whether calls of fewer rows than a
    /// tile give the same bits when their columns go in ``columnBlock`` blocks.
    struct Measurement {
        let granule: Int
        let splitsColumns: Bool
    }

    private static let measurements = Mutex<[Shape: Measurement]>([:])

    /// What was measured for `call`'s shape, on first use (see ``RowTiles``).
    static func measurement(_ call: Call) -> Measurement {
        let shape = Shape(n: call.n, k: call.k, transB: call.transB, accumulates: call.beta != 0)
        if let known = measurements.withLock({ $0[shape] }) { return known }
        let found = measure(call)
        measurements.withLock { $0[shape] = found }
        return found
    }

    /// Rows 0..<rows+1 of made-up input; the reference is a whole tile over rows 0..<rows, and a
    /// candidate call of M rows runs over rows 1...M, so each row sits one place earlier in it.
    /// Column blocks are checked at the granule found, for each M up to a whole tile.
    private static func measure(_ call: Call) -> Measurement {
        let (n, k) = (call.n, call.k)
        var x = [Float](repeating: 0, count: (rows + 1) * k)
        var state: UInt32 = 12345
        for i in x.indices {
            state = state &* 1_664_525 &+ 1_013_904_223
            x[i] = Float(Int32(bitPattern: state >> 8) - (1 << 23)) / Float(1 << 23)
        }
        let start = (0..<((rows + 1) * n)).map { Float($0 % 7) - 3 }   // what beta = 1 adds to
        var reference = Array(start[0..<(rows * n)])
        x.withUnsafeBufferPointer { xs in
            reference.withUnsafeMutableBufferPointer { call.run(m: rows, a: xs.baseAddress!, lda: k, c: $0.baseAddress!, ldc: n) }
        }
        /// Whether M rows from row `first` give the reference's bits, whole or in column blocks.
        func matches(rows m: Int, from first: Int, inBlocks: Bool) -> Bool {
            var out = Array(start[(first * n)..<((first + m) * n)])
            x.withUnsafeBufferPointer { xs in
                out.withUnsafeMutableBufferPointer { o in
                    for columns in inBlocks ? call.columnBlocks : [0..<n] {
                        call.run(m: m, a: xs.baseAddress! + first * k, lda: k, c: o.baseAddress!, ldc: n, columns: columns)
                    }
                }
            }
            return out.indices.allSatisfy { out[$0].bitPattern == reference[first * n + $0].bitPattern }
        }
        let granule = (1..<rows).first { g in
            rows % g == 0 && stride(from: g, to: rows, by: g).allSatisfy { matches(rows: $0, from: 1, inBlocks: false) }
        } ?? rows
        let splits = matches(rows: rows, from: 0, inBlocks: true)
            && stride(from: granule, to: rows, by: granule).allSatisfy { matches(rows: $0, from: 1, inBlocks: true) }
        return Measurement(granule: granule, splitsColumns: splits)
    }
}
