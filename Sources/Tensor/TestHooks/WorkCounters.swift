import Synchronization

/// Counts of kernel work, for tests that measure that frozen parts of a model do none: matrix
/// products (GEMM calls) and backward closures by op name. Off until a test calls ``start()``;
/// until then a product or a backward closure pays one atomic load, no lock.
@_spi(Testing) public enum WorkCounters {
    private static let counting = Atomic<Bool>(false)
    private static let productCount = Atomic<Int>(0)
    private static let backwardCounts = Mutex<[String: Int]>([:])

    /// Zeroes the counts and counts from now on.
    public static func start() {
        productCount.store(0, ordering: .relaxed)
        backwardCounts.withLock { $0 = [:] }
        counting.store(true, ordering: .relaxed)
    }

    /// Matrix products (GEMM calls) since ``start()``.
    public static var products: Int { productCount.load(ordering: .relaxed) }

    /// Backward closures run since ``start()``, by op name.
    public static var backward: [String: Int] { backwardCounts.withLock { $0 } }

    @inline(__always) static func countProducts(_ n: Int = 1) {
        if counting.load(ordering: .relaxed) { productCount.wrappingAdd(n, ordering: .relaxed) }
    }

    @inline(__always) static func countBackward(_ name: String) {
        if counting.load(ordering: .relaxed) { backwardCounts.withLock { $0[name, default: 0] += 1 } }
    }
}
