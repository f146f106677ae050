/// A frozen encoder's features computed across ranks (each rank every `size`-th batch of the
/// length-sorted order, the batches one process makes), then gathered so that every rank holds all.
extension FeatureCache {
    func gather(over ranks: Communicator) throws {
        guard ranks.size > 1 else { return }
        // Per example this rank computed: its index, its number of rows, then the word of each row.
        var meta: [Float] = [], values: [Float] = []
        for i in rows.indices where !rows[i].isEmpty || !rowWords[i].isEmpty {
            precondition(i < 1 << 24, "feature cache gather: example index \(i) does not fit a Float exactly")
            meta.append(Float(i))
            meta.append(Float(rows[i].count / max(width, 1)))
            meta += rowWords[i].map(Float.init)
            values += rows[i]
        }
        let allMeta = try ranks.allGather(meta), allValues = try ranks.allGather(values)
        for (m, v) in zip(allMeta, allValues) {
            var at = 0, offset = 0
            while at < m.count {
                let i = Int(m[at]), count = Int(m[at + 1])
                at += 2
                rows[i] = Array(v[offset..<(offset + count * width)])
                offset += count * width
                if tagging {
                    rowWords[i] = m[at..<(at + count)].map { Int($0) }
                    at += count
                }
            }
        }
    }
}
