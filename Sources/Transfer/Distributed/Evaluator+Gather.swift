/// Evaluation across ranks: each rank has the outputs of its batches; every rank gets all of them,
/// so that every rank computes the same metrics (and stops early, or keeps the best weights, alike).
extension Evaluator {
    /// Fills `result` with the other ranks' outputs. `computed`: the examples this rank ran.
    func gather(_ result: inout [[[Float]?]], computed: [Int], width n: Int) throws {
        guard ranks.size > 1 else { return }
        // Per example: its index and its number of rows, then per row a flag (1: present) and its n values.
        var packed: [Float] = []
        for i in computed {
            precondition(i < 1 << 24, "evaluation gather: example index \(i) does not fit a Float exactly")
            packed.append(Float(i))
            packed.append(Float(result[i].count))
            for row in result[i] {
                packed.append(row == nil ? 0 : 1)
                if let row { packed += row }
            }
        }
        for (rank, part) in try ranks.allGather(packed).enumerated() where rank != ranks.rank {
            var at = 0
            while at < part.count {
                let i = Int(part[at]), rows = Int(part[at + 1])
                at += 2
                var outputs: [[Float]?] = []
                for _ in 0..<rows {
                    if part[at] == 0 {
                        outputs.append(nil)
                        at += 1
                    } else {
                        outputs.append(Array(part[(at + 1)..<(at + 1 + n)]))
                        at += 1 + n
                    }
                }
                result[i] = outputs
            }
        }
    }
}
