/// Example indices in batches of at most `size`, shortest first.
///
/// A batch pads to its longest member, so batching examples of similar length wastes almost no
/// padding. Every batched inference loop walks these: `SentenceEmbedder`, a frozen encoder's
/// feature cache and evaluation. With `shard`, only every `shard.count`-th batch from
/// `shard.index` on is kept (parts of one ordering, e.g. one per data-parallel process).
public func lengthSortedBatches(_ lengths: [Int], size: Int, shard: Shard = .whole) -> [[Int]] {
    let size = max(size, 1)
    let order = lengths.indices.sorted { lengths[$0] < lengths[$1] }
    return stride(from: 0, to: order.count, by: size).enumerated()
        .filter { $0.offset % shard.count == shard.index }
        .map { Array(order[$0.element..<min($0.element + size, order.count)]) }
}

/// Part `index` of `count` equal parts of an ordering.
public struct Shard: Sendable, Equatable {
    public let index: Int, count: Int
    public static let whole = Shard(index: 0, of: 1)
    public init(index: Int, of count: Int) {
        precondition(count > 0 && (0..<count).contains(index), "shard \(index) of \(count)")
        (self.index, self.count) = (index, count)
    }
}
