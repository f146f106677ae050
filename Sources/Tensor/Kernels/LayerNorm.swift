// Layer normalization over the last axis (llm.c's layernorm_forward / layernorm_backward).
import CKernels
import Foundation

extension Kernels {
    /// out = (x − mean) · rstd · gamma + beta, per row;  x, out: rows × cols; gamma, beta: cols.
    /// Keeps `mean` and `rstd` (rows) for the backward pass.
    static func layerNormForward(
        x: UnsafePointer<Float>, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
        out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
        rows: Int, cols: Int, eps: Float
    ) {
        Threads.parallelFor(rows, work: rows * cols * 3) { range in
            for r in range {
                (mean[r], rstd[r]) = layerNormRow(x + r * cols, gamma: gamma, beta: beta, out: out + r * cols, cols: cols, eps: eps)
            }
        }
    }

    /// v = x + bias + residual, then out = LayerNorm(v), row by row while the row is in cache:
    /// the residual block's sum and normalization in one pass. `v` is written to `sum` when given
    /// (the backward pass needs it), else straight into `out`.
    ///   x, residual, sum, out: rows × cols;  bias (optional), gamma, beta: cols
    static func residualLayerNormForward(
        x: UnsafePointer<Float>, bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>,
        gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, sum: UnsafeMutablePointer<Float>?,
        out: UnsafeMutablePointer<Float>, mean: UnsafeMutablePointer<Float>, rstd: UnsafeMutablePointer<Float>,
        rows: Int, cols: Int, eps: Float
    ) {
        Threads.parallelFor(rows, work: rows * cols * 4) { range in
            // AVX-512: CKernels' loop (three passes over each row from L1, in vector registers).
            let first = range.lowerBound, offset = first * cols
            if bertkit_residual_layer_norm(x + offset, bias, residual + offset, gamma, beta, sum.map { $0 + offset },
                                           out + offset, mean + first, rstd + first, range.count, cols, eps) != 0 {
                return
            }
            for r in range {
                let xr = x + r * cols, rr = residual + r * cols, or = out + r * cols
                let v = sum.map { $0 + r * cols } ?? or
                if let bias {
                    for j in 0..<cols { v[j] = xr[j] + bias[j] + rr[j] }
                } else {
                    for j in 0..<cols { v[j] = xr[j] + rr[j] }
                }
                (mean[r], rstd[r]) = layerNormRow(v, gamma: gamma, beta: beta, out: or, cols: cols, eps: eps)
            }
        }
    }

    /// One row of LayerNorm; returns its mean and rstd. `out` may be `x`.
    @inline(__always)
    static func layerNormRow(
        _ x: UnsafePointer<Float>, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>,
        out: UnsafeMutablePointer<Float>, cols: Int, eps: Float
    ) -> (mean: Float, rstd: Float) {
        let m = Reduce.sum(x, cols) / Float(cols)
        let varSum = Reduce.squaredDeviations(x, cols, from: m)
        let s = 1 / Foundation.sqrtf(varSum / Float(cols) + eps)
        for j in 0..<cols { out[j] = (x[j] - m) * s * gamma[j] + beta[j] }
        return (m, s)
    }

    /// Accumulates dx (when non-nil), dgamma and dbeta (when non-nil) from dout.
    ///   norm = (x − mean)·rstd,  dnorm = dout·gamma
    ///   dx += rstd · (dnorm − mean(dnorm) − norm · mean(dnorm·norm))
    static func layerNormBackward(
        dout: UnsafePointer<Float>, x: UnsafePointer<Float>, gamma: UnsafePointer<Float>,
        mean: UnsafePointer<Float>, rstd: UnsafePointer<Float>,
        dx: UnsafeMutablePointer<Float>?, dgamma: UnsafeMutablePointer<Float>?, dbeta: UnsafeMutablePointer<Float>?,
        rows: Int, cols: Int
    ) {
        if let dx {
            Threads.parallelFor(rows, work: rows * cols * 4) { range in
                for r in range {
                    let xr = x + r * cols, gr = dout + r * cols, dxr = dx + r * cols
                    let m = mean[r], s = rstd[r]
                    // Σ d and Σ d·n in 16-lane blocks (see Reduce), then the tail.
                    var sumD = Reduce.Block(repeating: 0), sumDN = Reduce.Block(repeating: 0), j = 0
                    while j + 16 <= cols {
                        let d = Reduce.load(gr + j) * Reduce.load(gamma + j)
                        sumD += d
                        sumDN += d * (Reduce.load(xr + j) - m) * s
                        j += 16
                    }
                    var meanD = sumD.sum(), meanDN = sumDN.sum()
                    while j < cols {
                        let d = gr[j] * gamma[j]
                        meanD += d
                        meanDN += d * (xr[j] - m) * s
                        j += 1
                    }
                    meanD /= Float(cols)
                    meanDN /= Float(cols)
                    for j in 0..<cols {
                        let n = (xr[j] - m) * s
                        dxr[j] += s * (gr[j] * gamma[j] - meanD - n * meanDN)
                    }
                }
            }
        }
        if dgamma != nil || dbeta != nil {
            // Each thread takes a range of columns over every row.
            Threads.parallelFor(cols, work: rows * cols * 2) { columns in
                for r in 0..<rows {
                    let xr = x + r * cols, gr = dout + r * cols
                    let m = mean[r], s = rstd[r]
                    if let dgamma { for j in columns { dgamma[j] += gr[j] * (xr[j] - m) * s } }
                    if let dbeta { for j in columns { dbeta[j] += gr[j] } }
                }
            }
        }
    }
}

extension Tensor {
    /// `(self + bias + residual).layerNorm(gamma:beta:eps:)` in one pass per row: a residual
    /// block's bias, skip connection and normalization without writing the sums out first
    /// (unless gradients are recorded, which need them). `bias` is `[cols]`, added to every row;
    /// `residual` has this tensor's shape. The plain twin is the expression above.
    public func layerNorm(addingBias bias: Tensor?, residual: Tensor, gamma: Tensor, beta: Tensor, eps: Float) -> Tensor {
        let cols = shape.last ?? 1
        precondition(residual.shape == shape, "layerNorm: residual \(residual.shape) for input \(shape)")
        precondition(bias == nil || bias!.shape == [cols], "layerNorm: bias \(bias!.shape) for input \(shape)")
        precondition(gamma.shape == [cols] && beta.shape == [cols],
                     "layerNorm: gamma \(gamma.shape) / beta \(beta.shape) for input \(shape)")
        let rows = count / Swift.max(cols, 1)
        let inputs = [self, residual, gamma, beta] + (bias.map { [$0] } ?? [])
        let sum = Tensor.needsGrad(inputs) ? Tensor.uninitialized(shape) : nil
        let out = Tensor.uninitialized(shape)
        let stats = Tensor.uninitialized([2, rows])
        let mean = stats.storage.pointer, rstd = stats.storage.pointer + rows
        Kernels.residualLayerNormForward(
            x: storage.pointer, bias: bias?.storage.pointer, residual: residual.storage.pointer,
            gamma: gamma.storage.pointer, beta: beta.storage.pointer, sum: sum?.storage.pointer,
            out: out.storage.pointer, mean: mean, rstd: rstd, rows: rows, cols: cols, eps: eps)
        guard let sum else { return out }
        return out.recorded("residual_layer_norm", inputs: inputs) { [self] g in
            // d(sum) reaches the input, the residual and (summed over rows) the bias alike.
            let dSum = Tensor(zeros: shape)
            Kernels.layerNormBackward(
                dout: g.storage.pointer, x: sum.storage.pointer, gamma: gamma.storage.pointer,
                mean: stats.storage.pointer, rstd: stats.storage.pointer + rows,
                dx: dSum.storage.pointer,
                dgamma: gamma.requiresGrad ? gamma.gradBuffer() : nil,
                dbeta: beta.requiresGrad ? beta.gradBuffer() : nil,
                rows: rows, cols: cols)
            if let bias, bias.requiresGrad { Kernels.addColumnSums(dSum.storage.pointer, rows: rows, cols: cols, into: bias.gradBuffer()) }
            if requiresGrad { accumulateGrad(dSum) }
            if residual.requiresGrad { residual.accumulateGrad(dSum) }
        }
    }

    /// Layer normalization over the last axis with scale `gamma` and shift `beta` (both `[cols]`).
    public func layerNorm(gamma: Tensor, beta: Tensor, eps: Float) -> Tensor {
        let cols = shape.last ?? 1
        precondition(gamma.shape == [cols] && beta.shape == [cols],
                     "layerNorm: gamma \(gamma.shape) / beta \(beta.shape) for input \(shape)")
        let rows = count / Swift.max(cols, 1)
        let out = Tensor.uninitialized(shape)
        let stats = Tensor.uninitialized([2, rows])
        let mean = stats.storage.pointer, rstd = stats.storage.pointer + rows
        Kernels.layerNormForward(x: storage.pointer, gamma: gamma.storage.pointer, beta: beta.storage.pointer,
                                 out: out.storage.pointer, mean: mean, rstd: rstd, rows: rows, cols: cols, eps: eps)
        return out.recorded("layer_norm", inputs: [self, gamma, beta]) { [self] g in
            Kernels.layerNormBackward(
                dout: g.storage.pointer, x: storage.pointer, gamma: gamma.storage.pointer,
                mean: stats.storage.pointer, rstd: stats.storage.pointer + rows,
                dx: requiresGrad ? gradBuffer() : nil,
                dgamma: gamma.requiresGrad ? gamma.gradBuffer() : nil,
                dbeta: beta.requiresGrad ? beta.gradBuffer() : nil,
                rows: rows, cols: cols)
        }
    }
}
