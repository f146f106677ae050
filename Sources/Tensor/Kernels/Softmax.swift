// Softmax over the last axis with an optional additive mask, numerically stable.
import CKernels

extension Kernels {
    /// y[r, :] = softmax(x[r, :] + mask[r / rowsPerMaskRow, :])   (x, y: rows × cols; y may alias x)
    static func softmaxForward(
        x: UnsafePointer<Float>, mask: UnsafePointer<Float>?, rowsPerMaskRow: Int,
        y: UnsafeMutablePointer<Float>, rows: Int, cols: Int
    ) {
        Threads.parallelFor(rows, work: rows * cols * 4) { range in
            for r in range {
                softmaxRows(x: x + r * cols, mask: mask.map { $0 + (r / rowsPerMaskRow) * cols },
                            y: y + r * cols, rows: 1, cols: cols)
            }
        }
    }

    /// Softmax of each of `rows` rows on the calling thread, every row adding the same additive
    /// `mask` row (if any). `y` may alias `x`.
    @inline(__always)
    static func softmaxRows(
        x: UnsafePointer<Float>, mask: UnsafePointer<Float>?, y: UnsafeMutablePointer<Float>, rows: Int, cols: Int
    ) {
        for r in 0..<rows {
            let xr = x + r * cols, yr = y + r * cols
            if let mask {
                Reduce.add(xr, mask, into: yr, cols)
            } else if UnsafePointer(yr) != xr {
                yr.update(from: xr, count: cols)
            }
            let maxValue = Reduce.max(yr, cols)
            // A fully masked row (all -inf) would give NaN; it gets zeros instead.
            if maxValue == -Float.infinity { for j in 0..<cols { yr[j] = 0 }; continue }
            bertkit_exp_shifted(yr, cols, maxValue)
            let inv = 1 / Reduce.sum(yr, cols)
            for j in 0..<cols { yr[j] *= inv }
        }
    }

    /// dx[r, :] = y ⊙ (dy − Σ dy⊙y)   (dx may alias dy)
    static func softmaxBackward(
        y: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, rows: Int, cols: Int
    ) {
        Threads.parallelFor(rows, work: rows * cols * 2) { range in
            let offset = range.lowerBound * cols
            softmaxBackwardRows(y: y + offset, dy: dy + offset, dx: dx + offset, rows: range.count, cols: cols)
        }
    }

    /// `softmaxBackward` on the calling thread.
    @inline(__always)
    static func softmaxBackwardRows(
        y: UnsafePointer<Float>, dy: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>, rows: Int, cols: Int
    ) {
        for r in 0..<rows {
            let yr = y + r * cols, dyr = dy + r * cols, dxr = dx + r * cols
            let dot = Reduce.dot(yr, dyr, cols)
            for j in 0..<cols { dxr[j] = yr[j] * (dyr[j] - dot) }
        }
    }
}

extension Tensor {
    /// Softmax over the last axis, after adding `mask` (no gradient flows to the mask).
    ///
    /// `mask` has shape `[M, cols]`, and the rows of `self` (all axes but the last, flattened)
    /// are split into M equal groups, group i using mask row i. An attention mask `[batch, keys]`
    /// on scores `[batch, heads, queries, keys]` is the usual case. Use 0 to keep a position and
    /// a large negative number (or −∞) to drop it.
    public func softmax(mask: Tensor? = nil) -> Tensor {
        let cols = shape.last ?? 1
        let rows = count / Swift.max(cols, 1)
        var rowsPerMaskRow = 1
        if let mask {
            precondition(mask.rank == 2 && mask.shape[1] == cols && mask.shape[0] > 0 && rows % mask.shape[0] == 0,
                         "softmax mask \(mask.shape) does not fit scores \(shape)")
            rowsPerMaskRow = rows / mask.shape[0]
        }
        let out = Tensor.uninitialized(shape)
        Kernels.softmaxForward(x: storage.pointer, mask: mask?.storage.pointer, rowsPerMaskRow: rowsPerMaskRow,
                               y: out.storage.pointer, rows: rows, cols: cols)
        return out.recorded("softmax", inputs: [self]) { [self, unowned out] g in
            let dx = Tensor.uninitialized(shape)
            Kernels.softmaxBackward(y: out.storage.pointer, dy: g.storage.pointer, dx: dx.storage.pointer,
                                    rows: rows, cols: cols)
            accumulateGrad(dx)
        }
    }
}
