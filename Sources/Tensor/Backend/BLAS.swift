#if canImport(Accelerate)
// Apple platforms: Accelerate's CBLAS. Written for completeness; it is not built or tested on Linux.
import Accelerate
#else
import CBLAS
#endif
import Synchronization

/// The one place that calls BLAS. Row-major single-precision GEMM:
/// `C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C`, with leading dimensions in elements.
enum BLAS {
    /// Number of `sgemm` calls since start (or the last reset), for tests that count kernel work.
    static let gemmCalls = Atomic<Int>(0)

    @inline(__always)
    static func sgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        gemmCalls.wrappingAdd(1, ordering: .relaxed)
        guard m > 0, n > 0 else { return }
        if k == 0 {
            // BLAS leaves C untouched when k == 0 only for beta == 1; make the math explicit.
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] *= beta } }
            return
        }
        cblas_sgemm(
            CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// Sets the number of threads BLAS uses (OpenBLAS; Accelerate manages its own).
    static func setThreads(_ n: Int) {
        #if !canImport(Accelerate)
        openblas_set_num_threads(Int32(n))
        #endif
    }

    static var threads: Int {
        #if canImport(Accelerate)
        return 1
        #else
        return Int(openblas_get_num_threads())
        #endif
    }
}

/// Public counters of kernel work, for tests and benchmarks.
public enum KernelStats {
    /// The number of matrix-multiply (GEMM) calls made so far.
    public static var gemmCalls: Int { BLAS.gemmCalls.load(ordering: .relaxed) }
}
