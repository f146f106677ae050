// Embedding lookup: gather rows of a table; backward scatter-adds into the rows that were read.

extension Tensor {
    /// Rows of `self` (a `[vocab, dim]` table) for each id: the result is `[ids.shape..., dim]`.
    /// An id outside the table is a programmer error (callers check ids read from files).
    public func embedding(_ ids: IDTensor) -> Tensor {
        precondition(rank == 2, "embedding table must be [vocab, dim], got \(shape)")
        let vocab = shape[0], dim = shape[1]
        let out = Tensor.uninitialized(ids.shape + [dim])
        let table = storage.pointer, o = out.storage.pointer
        for (i, id) in ids.ids.enumerated() {
            precondition(id >= 0 && Int(id) < vocab, "id \(id) outside embedding table of \(vocab) rows")
            (o + i * dim).update(from: table + Int(id) * dim, count: dim)
        }
        return out.recorded("embedding", inputs: [self]) { [self] g in
            let d = gradBuffer(), gy = g.storage.pointer
            for (i, id) in ids.ids.enumerated() {
                let row = d + Int(id) * dim, src = gy + i * dim
                for j in 0..<dim { row[j] += src[j] }
            }
        }
    }
}
