#if canImport(Accelerate)
// Apple platforms: Accelerate's CBLAS. Written for completeness; it is not built or tested on Linux.
import Accelerate
#else
import CBLAS
#endif
import CKernels
import COneDNN

/// The one place that calls the matrix backend (``MatrixBackend``: oneDNN, OpenBLAS or
/// Accelerate). Row-major single-precision GEMM:
/// `C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C`, with leading dimensions in elements.
///
/// BLAS itself runs single-threaded; BertKit splits work across cores itself: a large product
/// into blocks of rows (or columns) of C, many small ones (attention heads) by item. BLAS's own
/// worker threads would otherwise spin between calls and take the core from element-wise kernels.
enum BLAS {
    /// Products smaller than this many multiply-adds run on one core.
    static let splitThreshold = 1 << 20

    /// C (+)= op(A)·op(B), split across cores when large.
    static func sgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        WorkCounters.countProducts()
        forEachBlock(m: m, n: n, k: k) { rows, cols in
            sgemmSerial(transA: transA, transB: transB, m: rows.count, n: cols.count, k: k, alpha: alpha,
                        a: blockOfA(a, rows: rows, transposed: transA, ld: lda), lda: lda,
                        b: blockOfB(b, cols: cols, transposed: transB, ld: ldb), ldb: ldb,
                        beta: beta, c: c + rows.lowerBound * ldc + cols.lowerBound, ldc: ldc)
        }
    }

    /// Splits C[m×n] into one block per core along its longer side (rows of C are rows of op(A),
    /// columns of C are columns of op(B)) and runs `body(rows, columns)` for each block at once.
    /// Small products, or calls already inside parallel work, run as one block on this thread.
    /// Blocks are multiples of 16 to keep kernels aligned.
    static func forEachBlock(m: Int, n: Int, k: Int, _ body: (Range<Int>, Range<Int>) -> Void) {
        let threads = Threads.count
        guard threads > 1, m * n * k >= splitThreshold, !Threads.isInParallelRegion else {
            body(0..<m, 0..<n)
            return
        }
        let splitRows = m >= n
        let length = splitRows ? m : n
        let parts = min(threads, max(1, length / 16))
        let block = ((length + parts - 1) / parts + 15) / 16 * 16
        Threads.parallelBlocks(parts) { part in
            let start = part * block, end = min(length, start + block)
            guard start < end else { return }
            if splitRows { body(start..<end, 0..<n) } else { body(0..<m, start..<end) }
        }
    }

    /// Where rows `rows` of op(A) start, for A stored with leading dimension `ld`.
    @inline(__always)
    static func blockOfA<T>(_ a: UnsafePointer<T>, rows: Range<Int>, transposed: Bool, ld: Int) -> UnsafePointer<T> {
        transposed ? a + rows.lowerBound : a + rows.lowerBound * ld
    }

    /// Where columns `cols` of op(B) start, for B stored with leading dimension `ld`.
    @inline(__always)
    static func blockOfB<T>(_ b: UnsafePointer<T>, cols: Range<Int>, transposed: Bool, ld: Int) -> UnsafePointer<T> {
        transposed ? b + cols.lowerBound * ld : b + cols.lowerBound
    }

    /// One BLAS call on the calling thread.
    @inline(__always)
    static func sgemmSerial(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        if k == 0 {
            // BLAS leaves C untouched when k == 0 only for beta == 1; make the math explicit.
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] *= beta } }
            return
        }
        if MatrixBackend.current == .oneDNN {
            let status = bertkit_dnnl_sgemm(transA ? 1 : 0, transB ? 1 : 0, Int64(m), Int64(n), Int64(k), alpha,
                                            a, Int64(lda), b, Int64(ldb), beta, c, Int64(ldc))
            precondition(status == 0, "oneDNN sgemm failed (status \(status)) for \(m)×\(k) · \(k)×\(n)")
            return
        }
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Sets the number of threads BLAS itself uses (OpenBLAS; Accelerate manages its own).
    /// BertKit keeps it at 1 and splits work itself (see ``sgemm``).
    static func setThreads(_ n: Int) {
        #if !canImport(Accelerate)
        openblas_set_num_threads(Int32(n))
        #endif
    }
}

/// What the kernels run with.
public enum KernelStats {
    /// The vector instructions the element-wise C kernels (exp, GELU) run with on this CPU:
    /// "avx512", "avx2" or "baseline" (SSE2 on x86-64, NEON on arm64).
    public static var vectorInstructionSet: String { String(cString: bertkit_kernel_isa()) }
}
