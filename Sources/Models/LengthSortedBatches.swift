/// Example indices in batches of at most `size`, shortest first.
///
/// A batch pads to its longest member, so batching examples of similar length wastes almost no
/// padding. Every batched inference loop walks these: `SentenceEmbedder`, a frozen encoder's
/// feature cache and evaluation. With `shard`, only every `shard.count`-th batch from
/// `shard.index` on is kept (data-parallel ranks each take their own batches of one ordering).
public func lengthSortedBatches(_ lengths: [Int], size: Int, shard: (index: Int, count: Int) = (0, 1)) -> [[Int]] {
    let size = max(size, 1)
    let order = lengths.indices.sorted { lengths[$0] < lengths[$1] }
    return stride(from: 0, to: order.count, by: size).enumerated()
        .filter { $0.offset % max(shard.count, 1) == shard.index }
        .map { Array(order[$0.element..<min($0.element + size, order.count)]) }
}
