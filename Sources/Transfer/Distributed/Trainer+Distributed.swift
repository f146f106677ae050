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
    /// This rank's part of a global batch of examples with these token counts (positions `range`
    /// of the batch): contiguous shares, cut where the ranks' padded batches (examples × the longest
    /// one) are most even, since a rank's step takes about as long as its padded batch is big and
    /// every rank waits for the slowest. Every rank computes the same cut from the same lengths.
    func share(lengths: [Int]) -> Range<Int> {
        Self.balancedShares(lengths: lengths, parts: communicator.size)[communicator.rank]
    }

    /// `lengths` cut into `parts` contiguous ranges (some empty when there are fewer examples than
    /// parts) that minimize the largest padded size, count × longest; ties go to the earliest cut.
    static func balancedShares(lengths: [Int], parts: Int) -> [Range<Int>] {
        let n = lengths.count
        guard parts > 1 else { return [0..<n] }
        // best[k][i]: the smallest largest cost of cutting the first i examples into k ranges;
        // the last range j..<i is walked from j = i down, its longest example kept as it grows.
        var best = [[Int]](repeating: [Int](repeating: .max, count: n + 1), count: parts + 1)
        var cut = [[Int]](repeating: [Int](repeating: 0, count: n + 1), count: parts + 1)
        best[0][0] = 0
        for k in 1...parts {
            for i in 0...n {
                var longest = 0
                for j in stride(from: i, through: 0, by: -1) {
                    if j < i { longest = max(longest, lengths[j]) }
                    guard best[k - 1][j] != .max else { continue }
                    let worst = max(best[k - 1][j], (i - j) * longest)
                    if worst <= best[k][i] { (best[k][i], cut[k][i]) = (worst, j) }
                }
            }
        }
        var ranges: [Range<Int>] = [], end = n
        for k in stride(from: parts, to: 0, by: -1) {
            ranges.append(cut[k][end]..<end)
            end = cut[k][end]
        }
        return ranges.reversed()
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
