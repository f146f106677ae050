/// Contiguous Float32 memory owned by one or more tensors (a reshape shares it).
///
/// The pointer never escapes the Tensor target except through `withUnsafe…` accessors.
final class Storage: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(count: Int, zeroed: Bool = true) {
        precondition(count >= 0, "negative tensor size \(count)")
        // Allocating at least one element keeps the pointer valid for empty tensors.
        pointer = .allocate(capacity: max(count, 1))
        self.count = count
        if zeroed { pointer.initialize(repeating: 0, count: max(count, 1)) }
    }

    convenience init(copying source: UnsafePointer<Float>, count: Int) {
        self.init(count: count, zeroed: false)
        pointer.initialize(from: source, count: count)
    }

    deinit { pointer.deallocate() }
}
