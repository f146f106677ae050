import Dispatch
import Foundation
import Synchronization

/// How many cores BertKit uses: for BLAS and for splitting large element-wise kernels; by
/// default ``defaultCount``. The command line's `--threads` calls `Threads.set(_:)`.
public enum Threads {
    private static let current = Atomic<Int>(0)
    private static let budget = Atomic<Int>(0)

    /// The number of threads in use.
    public static var count: Int {
        let n = current.load(ordering: .relaxed)
        if n > 0 { return n }
        let initial = defaultCount
        set(initial)
        return initial
    }

    /// ``Settings/threads`` when set, else the cores this process may run on (its CPU affinity:
    /// `taskset`, a container's cpuset, `mpirun`'s binding), no more than ``setBudget(_:)`` allows.
    public static var defaultCount: Int {
        if let n = Settings.threads { return n }
        let usable = allowedCores ?? ProcessInfo.processInfo.activeProcessorCount
        let limit = budget.load(ordering: .relaxed)
        return max(1, limit > 0 ? min(usable, limit) : usable)
    }

    /// Caps ``defaultCount`` at `cores`, for a process that shares its host with others it knows
    /// of (data-parallel ranks). Call it before the first product: a count in use stays.
    public static func setBudget(_ cores: Int) {
        precondition(cores > 0, "thread budget must be positive, got \(cores)")
        budget.store(cores, ordering: .relaxed)
    }

    /// The number of cores in this process's CPU affinity mask (`Cpus_allowed` in
    /// `/proc/self/status`; nil where that cannot be read). Foundation's `activeProcessorCount`
    /// counts every online core, even under `taskset -c 0`.
    static var allowedCores: Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed:") }) else { return nil }
        var n = 0
        for c in line.dropFirst("Cpus_allowed:".count) {
            guard let digit = c.hexDigitValue else { continue }   // tabs and the commas between words
            n += digit.nonzeroBitCount
        }
        return n > 0 ? n : nil
    }

    /// Uses `n` threads from now on, for matrix products and element-wise kernels.
    public static func set(_ n: Int) {
        precondition(n > 0, "thread count must be positive, got \(n)")
        current.store(n, ordering: .relaxed)
        BLAS.setThreads(1)
    }

    /// True on a thread running a block of `parallelFor`/`parallelBlocks`: nested work stays serial.
    @TaskLocal static var isInParallelRegion = false

    /// Runs `body(0..<parts)` with one part per thread, the caller taking part 0. Each part sees
    /// the caller's grad mode and precision, and runs its own kernels serially.
    static func parallelBlocks(_ parts: Int, _ body: (Int) -> Void) {
        if parts <= 1 { body(0); return }
        nonisolated(unsafe) let body = body
        let recording = GradMode.isEnabled, precision = Precision.current
        DispatchQueue.concurrentPerform(iterations: parts) { part in
            GradMode.$enabledValue.withValue(recording) {
                Precision.$scoped.withValue(precision) {
                    Threads.$isInParallelRegion.withValue(true) { body(part) }
                }
            }
        }
    }

    /// Runs `body(0)…body(parts - 1)` at once, one per thread, and returns when all are done.
    /// Inside a part every kernel runs on that part's thread: use this to split independent work
    /// (sequences of a batch) across cores instead of splitting each operation.
    ///
    /// `body` must not write anything the other parts read. Runs the parts one after another
    /// when already inside a parallel region.
    public static func concurrently(_ parts: Int, _ body: (Int) -> Void) {
        if isInParallelRegion {
            for part in 0..<parts { body(part) }
        } else {
            parallelBlocks(parts, body)
        }
    }

    /// True when called from inside ``concurrently(_:_:)`` or a split kernel.
    public static var isSplit: Bool { isInParallelRegion }

    /// Element counts below this run on the calling thread: splitting costs more than it saves.
    static let parallelThreshold = 1 << 16

    /// Runs `body` over `0..<count` split into contiguous chunks, one per thread, when `count`
    /// is large enough (`work` is the total element count the loop touches).
    @inline(__always)
    static func parallelFor(_ count: Int, work: Int, _ body: (Range<Int>) -> Void) {
        let threads = Threads.count
        if threads <= 1 || work < parallelThreshold || count < 2 || isInParallelRegion {
            body(0..<count)
            return
        }
        let chunks = min(threads, count)
        // The chunks write disjoint ranges; the caller keeps every buffer alive until we return.
        parallelBlocks(chunks) { c in
            let start = count * c / chunks
            let end = count * (c + 1) / chunks
            body(start..<end)
        }
    }
}
