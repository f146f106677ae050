import Tensor

/// Batches in which no text appears twice, in any column: sentence-transformers' `NoDuplicatesBatchSampler`.
/// With in-batch negatives, a paragraph that answers two questions of one batch would be both the
/// positive and a negative of each; this keeps it out.
///
/// The order is a seeded shuffle of the pairs (depending only on the seed and the epoch); each batch
/// takes, in that order, the first pairs none of whose texts the batch holds yet, and the skipped pairs
/// wait for later batches. Batches are full but for the last few, and a batch of one pair (no negative
/// to learn from) is dropped.
public enum NoDuplicatesBatches {
    /// The batches of one epoch: indices into `texts` (each pair's texts, as ids of distinct strings).
    public static func make(texts: [[Int]], batchSize: Int, seed: UInt64, epoch: Int) -> [[Int]] {
        precondition(batchSize >= 2, "in-batch negatives need batches of at least 2")
        var remaining = order(count: texts.count, seed: seed, epoch: epoch)
        var batches: [[Int]] = []
        while !remaining.isEmpty {
            var batch: [Int] = [], seen = Set<Int>(), deferred: [Int] = []
            var i = 0
            while i < remaining.count && batch.count < batchSize {
                let index = remaining[i]
                if texts[index].contains(where: seen.contains) {
                    deferred.append(index)
                } else {
                    batch.append(index)
                    seen.formUnion(texts[index])
                }
                i += 1
            }
            remaining = deferred + remaining[i...]
            if batch.count >= 2 { batches.append(batch) }
        }
        return batches
    }

    /// A permutation of `0..<count` that depends only on the seed and the epoch (Fisher–Yates).
    static func order(count: Int, seed: UInt64, epoch: Int) -> [Int] {
        var g = SeededGenerator(seed: SeededGenerator.mix(seed, 0x454D_4244, UInt64(epoch) &+ 1))
        var order = Array(0..<count)
        for i in stride(from: count - 1, to: 0, by: -1) { order.swapAt(i, Int(g.next() % UInt64(i + 1))) }
        return order
    }
}
