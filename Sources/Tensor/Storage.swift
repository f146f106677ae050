import Synchronization

/// Contiguous Float32 memory owned by one or more tensors (a reshape shares it).
///
/// The pointer never escapes the Tensor target except through `withUnsafe…` accessors.
final class Storage: @unchecked Sendable {   // a raw buffer: tensors on one thread write it, parallel kernels disjoint parts
    let pointer: UnsafeMutablePointer<Float>
    let count: Int
    private let capacity: Int
    /// False for memory someone else owns (``init(borrowing:count:)``): never freed or pooled here.
    private let owned: Bool

    init(count: Int, zeroed: Bool = true) {
        precondition(count >= 0, "negative tensor size \(count)")
        // Allocating at least one element keeps the pointer valid for empty tensors.
        let wanted = StoragePool.sizeClass(max(count, 1))
        if let (idle, size) = StoragePool.shared.take(wanted) {
            (pointer, capacity) = (idle, size)
        } else {
            (pointer, capacity) = (.allocate(capacity: wanted), wanted)
        }
        self.count = count
        owned = true
        if zeroed { pointer.initialize(repeating: 0, count: max(count, 1)) }
    }

    /// A view of `count` floats that the caller owns and keeps alive for as long as this storage.
    init(borrowing pointer: UnsafeMutablePointer<Float>, count: Int) {
        (self.pointer, self.count, capacity, owned) = (pointer, count, count, false)
    }

    convenience init(copying source: UnsafePointer<Float>, count: Int) {
        self.init(count: count, zeroed: false)
        pointer.initialize(from: source, count: count)
    }

    deinit {
        guard owned else { return }
        if !StoragePool.shared.give(pointer, capacity: capacity) { pointer.deallocate() }
    }
}

/// Recycles large buffers by size class, so a forward pass that runs again with similar shapes
/// reuses the pages of the last one instead of asking the system for fresh (page-faulting) memory.
final class StoragePool: Sendable {
    static let shared = StoragePool()

    /// Buffers below this many floats go straight to malloc, which handles them well.
    static let minimumPooled = 1 << 14
    /// The most memory the pool keeps idle by default: enough for a forward pass's activations at
    /// the usual batch sizes, small next to the model, so peak memory stays low.
    static let defaultIdleBytes = 256 << 20
    /// The most memory the pool keeps idle now (``MemoryPool/idleLimitBytes``).
    static let idleLimit = Atomic(defaultIdleBytes)

    private struct State {
        var free: [Int: [Int]] = [:]   // size class → addresses of idle buffers
        var idleBytes = 0
    }
    private let state = Mutex(State())

    /// Rounds large sizes up to 4 classes per power of two (at most 25% slack), so buffers of
    /// nearby sizes share a class.
    static func sizeClass(_ n: Int) -> Int {
        guard n >= minimumPooled else { return n }
        let top = Int.bitWidth - 1 - n.leadingZeroBitCount   // 2^top ≤ n
        let step = 1 << (top - 2)
        return (n + step - 1) / step * step
    }

    /// An idle buffer of size class `capacity` or one of the next three (less than twice the
    /// size), and its capacity. Batches of varying length ask for slightly different sizes
    /// every step; taking a somewhat larger idle buffer beats faulting in fresh pages.
    func take(_ capacity: Int) -> (UnsafeMutablePointer<Float>, Int)? {
        guard capacity >= Self.minimumPooled else { return nil }
        return state.withLock { s in
            var size = capacity
            for _ in 0..<4 {
                if let address = s.free[size]?.popLast() {
                    s.idleBytes -= size * 4
                    return (UnsafeMutablePointer(bitPattern: address)!, size)
                }
                size = Self.sizeClass(size + 1)
            }
            return nil
        }
    }

    /// Keeps `pointer` for reuse; false when the caller must free it.
    func give(_ pointer: UnsafeMutablePointer<Float>, capacity: Int) -> Bool {
        guard capacity >= Self.minimumPooled else { return false }
        return state.withLock { s in
            guard s.idleBytes + capacity * 4 <= Self.idleLimit.load(ordering: .relaxed) else { return false }
            s.free[capacity, default: []].append(Int(bitPattern: pointer))
            s.idleBytes += capacity * 4
            return true
        }
    }
}

/// The pool of idle tensor memory that BertKit reuses between passes instead of faulting in fresh pages.
public enum MemoryPool {
    /// The most bytes kept idle for reuse (256 MiB unless raised). Training raises it to hold a
    /// step's gradients too (``Trainer`` does this): when they do not fit, every step frees them
    /// and the next faults fresh pages in (measured: 9% of a data-parallel MiniLM step).
    public static var idleLimitBytes: Int { StoragePool.idleLimit.load(ordering: .relaxed) }

    /// Sets ``idleLimitBytes`` (at least 0).
    public static func setIdleLimit(_ bytes: Int) { StoragePool.idleLimit.store(max(0, bytes), ordering: .relaxed) }

    /// Raises ``idleLimitBytes`` to the pool's default plus `bytes`, when that is more.
    public static func keepIdle(additionally bytes: Int) {
        let wanted = StoragePool.defaultIdleBytes + bytes
        if wanted > idleLimitBytes { setIdleLimit(wanted) }
    }
}
