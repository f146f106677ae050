import Synchronization

/// A test hook: counts the backward closures run, by op name, so tests can measure that frozen
/// parts of a model do no backward work. ``Tensor/backward(_:)`` records each closure it runs; nothing
/// else in the library reads the counts.
public final class BackwardCounter: Sendable {
    public static let shared = BackwardCounter()
    private let counts = Mutex<[String: Int]>([:])

    func record(_ name: String) {
        counts.withLock { $0[name, default: 0] += 1 }
    }

    /// A snapshot of the counts since the last `reset()`.
    public var snapshot: [String: Int] { counts.withLock { $0 } }

    /// The total number of backward closures run since the last `reset()`.
    public var total: Int { counts.withLock { $0.values.reduce(0, +) } }

    public func reset() { counts.withLock { $0 = [:] } }
}
