// Losses, each a mean over examples: cross-entropy with an ignore index, MSE, and binary
// cross-entropy with logits.
import Foundation

extension Tensor {
    /// Cross-entropy of `self` (logits `[N, C]`) against class ids (`N` of them), averaged over
    /// the targets that are not `ignoreIndex`. With no such target the loss is 0.
    ///
    /// `mask`, when given, is additive, as attention's: `[N / r, C]`, each of its rows added to r
    /// consecutive rows of logits before the softmax (0 keeps a class, the most negative Float
    /// leaves it out of that row's softmax, and out of its gradient).
    public func crossEntropy(targets: IDTensor, ignoreIndex: Int32 = -100, mask: Tensor? = nil) -> Tensor {
        precondition(rank == 2 && targets.ids.count == shape[0],
                     "crossEntropy: logits \(shape) for \(targets.ids.count) targets")
        let (n, c) = (shape[0], shape[1])
        if let mask {
            precondition(mask.rank == 2 && mask.shape[1] == c && mask.shape[0] > 0 && n % mask.shape[0] == 0,
                         "crossEntropy: mask \(mask.shape) for logits \(shape)")
        }
        let probs = Tensor.uninitialized(shape)
        Kernels.softmaxForward(x: storage.pointer, mask: mask?.storage.pointer, rowsPerMaskRow: mask.map { n / $0.shape[0] } ?? 1,
                               y: probs.storage.pointer, rows: n, cols: c)
        let p = probs.storage.pointer
        var total: Double = 0, valid = 0
        for (i, t) in targets.ids.enumerated() where t != ignoreIndex {
            precondition(t >= 0 && Int(t) < c, "target \(t) outside \(c) classes")
            total -= Double(Foundation.log(Swift.max(p[i * c + Int(t)], Float.leastNormalMagnitude)))
            valid += 1
        }
        let out = Tensor(valid > 0 ? Float(total / Double(valid)) : 0)
        return out.recorded("cross_entropy", inputs: [self]) { [self] g in
            guard valid > 0 else { return }
            let scale = g.item / Float(valid)
            let dx = Tensor(zeros: shape)
            let p = probs.storage.pointer, d = dx.storage.pointer
            for (i, t) in targets.ids.enumerated() where t != ignoreIndex {
                for j in 0..<c { d[i * c + j] = scale * p[i * c + j] }
                d[i * c + Int(t)] -= scale
            }
            accumulateGrad(dx)
        }
    }

    /// Mean squared error against `targets` of the same shape.
    public func mseLoss(targets: Tensor) -> Tensor {
        precondition(targets.shape == shape, "mseLoss: predictions \(shape), targets \(targets.shape)")
        let x = storage.pointer, t = targets.storage.pointer
        var total: Double = 0
        for i in 0..<count { let e = Double(x[i] - t[i]); total += e * e }
        let out = Tensor(Float(total / Double(Swift.max(count, 1))))
        return out.recorded("mse", inputs: [self]) { [self] g in
            let dx = Tensor.uninitialized(shape)
            let x = storage.pointer, t = targets.storage.pointer
            let d = dx.storage.pointer, scale = 2 * g.item / Float(Swift.max(count, 1))
            for i in 0..<count { d[i] = scale * (x[i] - t[i]) }
            accumulateGrad(dx)
        }
    }

    /// Binary cross-entropy of sigmoid(self) against `targets` in [0, 1], computed stably from logits.
    public func binaryCrossEntropyWithLogits(targets: Tensor) -> Tensor {
        precondition(targets.shape == shape, "bce: logits \(shape), targets \(targets.shape)")
        let x = storage.pointer, t = targets.storage.pointer
        var total: Double = 0
        for i in 0..<count {
            let v = x[i]
            total += Double(Swift.max(v, 0) - v * t[i] + Foundation.log1pf(Foundation.expf(-Swift.abs(v))))
        }
        let out = Tensor(Float(total / Double(Swift.max(count, 1))))
        return out.recorded("bce_with_logits", inputs: [self]) { [self] g in
            let dx = Tensor.uninitialized(shape)
            let x = storage.pointer, t = targets.storage.pointer
            let d = dx.storage.pointer, scale = g.item / Float(Swift.max(count, 1))
            for i in 0..<count { d[i] = scale * (ActivationMath.sigmoid(x[i]) - t[i]) }
            accumulateGrad(dx)
        }
    }
}
