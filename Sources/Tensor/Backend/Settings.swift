import CKernels
import Foundation

/// Every `BERTKIT_` environment variable BertKit reads, each once, at first use, here and in no other
/// Swift file. The README's "Settings" table gives their defaults; command-line options win over them.
public enum Settings {
    /// `BERTKIT_THREADS`: threads for products and element-wise kernels, when a positive number.
    public static let threads: Int? = positive("BERTKIT_THREADS")
    /// `BERTKIT_BACKEND`: `openblas` or `onednn` asks for that matrix library (lowercased).
    public static let backend: String? = value("BERTKIT_BACKEND")?.lowercased()
    /// `BERTKIT_ISA` (`baseline`, `avx2`, `avx512`) caps kernels and CPU features; CKernels reads it itself,
    /// at its kernels' first use. This is the error for a value it does not know (nil when fine or unset).
    public static var isaProblem: String? {
        bertkit_isa_limit() == -3 ? "BERTKIT_ISA must be baseline, avx2 or avx512, got '\(value("BERTKIT_ISA") ?? "")'" : nil
    }
    /// Whether inference's dense products run in fixed tiles of rows (``RowTiles``), so a text's outputs are the
    /// same bytes whatever its batch and the thread count. `BERTKIT_INVARIANT=0` turns it off, to measure the cost.
    public static let batchInvariant = value("BERTKIT_INVARIANT") != "0"
    /// `BERTKIT_ATTENTION=gemm` runs attention as strided products and a separate softmax instead
    /// of the fused kernel (``Kernels/fusedAttention(headDim:)``), for comparisons.
    public static let fusedAttention = value("BERTKIT_ATTENTION")?.lowercased() != "gemm"
    /// `BERTKIT_API_KEY`: `bertkit serve`'s API key when `--api-key` gives none (named in its messages).
    public static let apiKey = value(apiKeyName)
    public static let apiKeyName = "BERTKIT_API_KEY"
    /// `BERTKIT_MPI_LIBRARY`: the Open MPI library to load instead of `libmpi.so.40`.
    public static let mpiLibrary = value("BERTKIT_MPI_LIBRARY")
    /// `BERTKIT_RANKS_PER_HOST`: pretend that every this many ranks in a row are a host.
    public static let ranksPerHost: Int? = positive("BERTKIT_RANKS_PER_HOST")
    /// `BERTKIT_SHARED_STEP=0`: ranks on one host sum by allreduce and each takes the whole step.
    public static let sharedStep = value("BERTKIT_SHARED_STEP") != "0"
    /// `BERTKIT_SHM_DIR`: where ranks on one host share gradients and optimizer state.
    public static let sharedMemoryFolder = value("BERTKIT_SHM_DIR") ?? "/dev/shm"
    /// `BERTKIT_ALLREDUCE`: `overlap` (true) or `after` (false) the backward pass; nil chooses by host.
    public static let allreduceOverlaps: Bool? = ["overlap": true, "after": false][value("BERTKIT_ALLREDUCE")?.lowercased() ?? ""]
    /// `BERTKIT_BUCKET_MB`: the gradient bucket size for allreduce, in MiB.
    public static let bucketMiB = value("BERTKIT_BUCKET_MB").flatMap(Double.init) ?? 4

    /// `BERTKIT_CRASH_AT_EVENT=N`: the crash tests' run kills itself at the Nth change on disk.
    @_spi(Testing) public static let crashAtEvent: Int? = positive("BERTKIT_CRASH_AT_EVENT")
    /// `BERTKIT_KILL_RANK_AT_STEP=R:N`: the failure tests' rank R kills itself after step N.
    @_spi(Testing) public static let killRankAtStep: (rank: Int, step: Int)? = {
        let parts = value("BERTKIT_KILL_RANK_AT_STEP")?.split(separator: ":").compactMap { Int($0) } ?? []
        return parts.count == 2 ? (parts[0], parts[1]) : nil
    }()

    private static func value(_ name: String) -> String? { ProcessInfo.processInfo.environment[name] }
    private static func positive(_ name: String) -> Int? { value(name).flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil } }
}
