/// An n-dimensional array of `Float` in row-major, contiguous storage, with reverse-mode autograd.
///
/// A tensor that `requiresGrad` records the op that made it, so `backward()` on a scalar result
/// accumulates gradients into every leaf that requires them. Tensors that need no gradient
/// record nothing, so a frozen subgraph costs no backward work at all.
///
/// ```swift
/// let w = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4], requiresGrad: true)
/// let y = (w * w).sum()
/// y.backward()
/// w.grad!.scalars  // [2, 4, 6, 8]
/// ```
public final class Tensor {
    /// The size of each axis.
    public let shape: [Int]
    /// The number of elements, the product of `shape`.
    public let count: Int
    /// Replaced only by ``moveValues(to:copying:)`` and ``ownValues()``.
    var storage: Storage

    /// Whether gradients flow to this tensor. Set it on leaves (parameters); op results inherit it.
    public var requiresGrad: Bool
    /// The accumulated gradient, after `backward()`; `nil` for tensors that need none.
    public internal(set) var grad: Tensor?
    /// True while `grad` is borrowed from another tensor and must be copied before it is added to.
    var gradIsBorrowed = false
    /// The op that produced this tensor, kept only while gradients are recorded.
    var creator: Node?

    init(shape: [Int], storage: Storage, requiresGrad: Bool = false) {
        let count = Tensor.elementCount(shape)
        precondition(count <= storage.count, "shape \(shape) needs \(count) elements, storage has \(storage.count)")
        self.shape = shape
        self.count = count
        self.storage = storage
        self.requiresGrad = requiresGrad
    }

    /// A tensor of zeros.
    public convenience init(zeros shape: [Int], requiresGrad: Bool = false) {
        self.init(shape: shape, storage: Storage(count: Tensor.elementCount(shape)), requiresGrad: requiresGrad)
    }

    /// A tensor filled with `value`.
    public convenience init(repeating value: Float, shape: [Int], requiresGrad: Bool = false) {
        let storage = Storage(count: Tensor.elementCount(shape), zeroed: false)
        storage.pointer.initialize(repeating: value, count: max(storage.count, 1))
        self.init(shape: shape, storage: storage, requiresGrad: requiresGrad)
    }

    /// A tensor holding `scalars` in row-major order; their count must match `shape`.
    public convenience init(shape: [Int], scalars: [Float], requiresGrad: Bool = false) {
        precondition(scalars.count == Tensor.elementCount(shape),
                     "\(scalars.count) scalars do not fill shape \(shape)")
        let storage = scalars.withUnsafeBufferPointer { Storage(copying: $0.baseAddress!, count: $0.count) }
        self.init(shape: shape, storage: storage, requiresGrad: requiresGrad)
    }

    /// A scalar (rank-0) tensor.
    public convenience init(_ value: Float) {
        self.init(shape: [], scalars: [value])
    }

    /// An uninitialised tensor, for kernels that overwrite every element.
    static func uninitialized(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, storage: Storage(count: elementCount(shape), zeroed: false))
    }

    static func elementCount(_ shape: [Int]) -> Int {
        var n = 1
        for d in shape {
            precondition(d >= 0, "negative dimension in shape \(shape)")
            n *= d
        }
        return n
    }

    /// The number of axes.
    public var rank: Int { shape.count }

    /// The elements in row-major order.
    public var scalars: [Float] {
        Array(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    /// The single element of a tensor with one element.
    public var item: Float {
        precondition(count == 1, "item needs a one-element tensor, shape is \(shape)")
        return storage.pointer[0]
    }

    /// The element at a multi-index.
    public subscript(_ index: Int...) -> Float {
        storage.pointer[flatIndex(index)]
    }

    func flatIndex(_ index: [Int]) -> Int {
        precondition(index.count == shape.count, "index \(index) does not match shape \(shape)")
        var flat = 0
        for (i, d) in zip(index, shape) {
            precondition(i >= 0 && i < d, "index \(index) out of range for shape \(shape)")
            flat = flat * d + i
        }
        return flat
    }

    /// Read-only access to the elements.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: storage.pointer, count: count))
    }

    /// Write access to the elements, for loaders and optimizers. Do not use on tensors that are
    /// part of a recorded graph: backward closures may still read them.
    /// Writing through it (an optimizer step, loading weights) drops the bf16 and int8 copies
    /// that inference made of weights (``Precision``), so none is ever stale.
    public func withUnsafeMutableBufferPointer<R>(_ body: (UnsafeMutableBufferPointer<Float>) throws -> R) rethrows -> R {
        LowPrecision.invalidate(storage)
        return try body(UnsafeMutableBufferPointer(start: storage.pointer, count: count))
    }

    /// A copy with its own storage, detached from the graph.
    public func copy() -> Tensor {
        Tensor(shape: shape, storage: Storage(copying: storage.pointer, count: count))
    }

    /// The same values, detached from the graph (shares storage).
    public func detached() -> Tensor {
        Tensor(shape: shape, storage: storage)
    }

    /// Overwrites this tensor's values with another's of the same element count.
    public func assign(_ other: Tensor) {
        precondition(other.count == count, "assign: \(other.shape) into \(shape)")
        storage.pointer.update(from: other.storage.pointer, count: count)
    }

    /// Drops the accumulated gradient.
    public func zeroGrad() {
        grad = nil
        gradIsBorrowed = false
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String {
        let preview = scalars.prefix(8).map { String($0) }.joined(separator: ", ")
        return "Tensor(shape: \(shape), [\(preview)\(count > 8 ? ", …" : "")])"
    }
}

/// A tensor of Int32 ids (token ids, label ids), with its shape. Ids carry no gradient.
public struct IDTensor: Sendable, Equatable {
    public let shape: [Int]
    public let ids: [Int32]

    public init(shape: [Int], ids: [Int32]) {
        precondition(ids.count == Tensor.elementCount(shape), "\(ids.count) ids do not fill shape \(shape)")
        self.shape = shape
        self.ids = ids
    }

    /// A batch of one sequence.
    public init(_ ids: [Int32]) {
        self.init(shape: [1, ids.count], ids: ids)
    }
}
