import Layers
import Tensor

/// Data-parallel training: what one rank does with a global batch.
///
/// Every rank walks the same data order (``Trainer/order(count:seed:epoch:)``, which depends on the
/// seed and the epoch only) and takes a contiguous share of each global batch. Dropout masks are
/// keyed on each example's position in the epoch's order, so a rank draws for its examples exactly
/// the masks one process draws for them in the whole batch. Each rank's loss is its share's mean
/// times its share of the batch (of its labelled tokens, for tagging), so the allreduce's sum is
/// the gradient of the global batch's mean loss.
extension Trainer {
    /// This rank's part of `indices` (positions `range` of the global batch): contiguous shares,
    /// the first `count % size` ranks one example longer.
    func share(of count: Int) -> Range<Int> {
        let size = communicator.size, rank = communicator.rank
        let base = count / size, extra = count % size
        let start = rank * base + min(rank, extra)
        return start..<(start + base + (rank < extra ? 1 : 0))
    }

    /// The generator dropout draws from for a batch: reset from the seed, the epoch and the batch,
    /// with one key per example (its position in the epoch's order).
    func dropoutGenerator(epoch: Int, batch: Int, positions: Range<Int>, indices: [Int], data: PreparedData) -> SeededGenerator {
        var g = SeededGenerator(seed: SeededGenerator.mix(options.seed, UInt64(epoch) &+ 1, UInt64(batch)))
        g.sequenceKeys = .init(keys: positions.map { UInt64($0) }, lengths: indices.map { data.encodings[$0].count })
        return g
    }

    /// The share of the global batch's loss that `mine` carries: examples, or labelled tokens for tagging.
    func lossWeight(mine: [Int], all: [Int], data: PreparedData) -> Float {
        guard communicator.size > 1 else { return 1 }
        func units(_ indices: [Int]) -> Int {
            if case .tags(let tags) = data.targets { return indices.reduce(0) { $0 + tags[$1].filter { $0 != -100 }.count } }
            return indices.count
        }
        let total = units(all)
        return total == 0 ? 0 : Float(units(mine)) / Float(total)
    }
}
