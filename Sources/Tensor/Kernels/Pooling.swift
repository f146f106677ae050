// Masked mean and masked max pooling over the sequence axis.

extension Tensor {
    private func poolingShape(_ mask: Tensor) -> (batch: Int, seq: Int, dim: Int) {
        precondition(rank == 3, "pooling needs [batch, seq, dim], got \(shape)")
        precondition(mask.shape == [shape[0], shape[1]], "pooling mask \(mask.shape) for input \(shape)")
        return (shape[0], shape[1], shape[2])
    }

    /// Mean over the positions where `mask` (`[batch, seq]`, 1 keep / 0 drop) is 1: `[batch, dim]`.
    /// Like sentence-transformers, the count is clamped at 1e-9, so a fully masked row gives zeros.
    public func maskedMean(mask: Tensor) -> Tensor {
        let (b, s, d) = poolingShape(mask)
        let out = Tensor(zeros: [b, d])
        let x = storage.pointer, m = mask.storage.pointer, o = out.storage.pointer
        var weights = [Float](repeating: 0, count: b)
        for i in 0..<b {
            var n: Float = 0
            for t in 0..<s { n += m[i * s + t] }
            let w = 1 / Swift.max(n, 1e-9)
            weights[i] = w
            for t in 0..<s where m[i * s + t] != 0 {
                let mt = m[i * s + t], row = x + (i * s + t) * d, orow = o + i * d
                for j in 0..<d { orow[j] += mt * row[j] }
            }
            for j in 0..<d { o[i * d + j] *= w }
        }
        return out.recorded("masked_mean", inputs: [self]) { [self] g in
            let m = mask.storage.pointer, dx = gradBuffer(), gy = g.storage.pointer
            for i in 0..<b {
                for t in 0..<s where m[i * s + t] != 0 {
                    let f = m[i * s + t] * weights[i]
                    for j in 0..<d { dx[(i * s + t) * d + j] += f * gy[i * d + j] }
                }
            }
        }
    }

    /// Max over the positions where `mask` is 1: `[batch, dim]`. Padding never wins; a fully
    /// masked row gives zeros. The gradient goes to the position that won.
    public func maskedMax(mask: Tensor) -> Tensor {
        let (b, s, d) = poolingShape(mask)
        let out = Tensor(zeros: [b, d])
        let x = storage.pointer, m = mask.storage.pointer, o = out.storage.pointer
        var winners = [Int](repeating: -1, count: b * d)
        for i in 0..<b {
            for t in 0..<s where m[i * s + t] != 0 {
                let row = x + (i * s + t) * d
                for j in 0..<d where winners[i * d + j] < 0 || row[j] > o[i * d + j] {
                    o[i * d + j] = row[j]
                    winners[i * d + j] = t
                }
            }
        }
        return out.recorded("masked_max", inputs: [self]) { [self] g in
            let dx = gradBuffer(), gy = g.storage.pointer
            for i in 0..<b {
                for j in 0..<d {
                    let t = winners[i * d + j]
                    if t >= 0 { dx[(i * s + t) * d + j] += gy[i * d + j] }
                }
            }
        }
    }
}

extension Tensor {
    /// Each row (last axis) divided by its L2 norm, clamped below at `eps` as PyTorch's
    /// `F.normalize` does.
    public func l2Normalized(eps: Float = 1e-12) -> Tensor {
        let cols = shape.last ?? 1
        let rows = count / Swift.max(cols, 1)
        let out = Tensor.uninitialized(shape)
        var norms = [Float](repeating: 0, count: rows)
        let x = storage.pointer, y = out.storage.pointer
        for r in 0..<rows {
            var s: Float = 0
            for j in 0..<cols { s += x[r * cols + j] * x[r * cols + j] }
            let n = Swift.max(s.squareRoot(), eps)
            norms[r] = n
            for j in 0..<cols { y[r * cols + j] = x[r * cols + j] / n }
        }
        return out.recorded("l2_normalize", inputs: [self]) { [self, unowned out] g in
            // dx = (g − y·(g·y)) / n   (with the clamp active, dx = g / eps)
            let dx = gradBuffer(), gy = g.storage.pointer, y = out.storage.pointer
            for r in 0..<rows {
                let n = norms[r], clamped = n == eps
                var dot: Float = 0
                if !clamped { for j in 0..<cols { dot += gy[r * cols + j] * y[r * cols + j] } }
                for j in 0..<cols { dx[r * cols + j] += (gy[r * cols + j] - y[r * cols + j] * dot) / n }
            }
        }
    }
}
