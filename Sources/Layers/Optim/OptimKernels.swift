import CKernels
import Dispatch
import Foundation
import Tensor

// Flat-buffer kernels behind AdamW and gradient clipping. The pointers come from the tensors'
// `withUnsafe…BufferPointer` accessors and are used only inside those calls.

/// The per-step scalars of one AdamW update, computed in Double as PyTorch computes them in Python
/// floats and rounded once to Float, as PyTorch rounds a Python scalar when a CPU kernel reads it.
struct AdamWScalars {
    /// 1 − lr·λ (1 when the parameter is not decayed).
    var decay: Float
    /// The weight of torch's `exp_avg.lerp_(grad, 1 − β₁)`.
    var lerpWeight: Float
    var beta2: Float
    var oneMinusBeta2: Float
    /// √(1 − β₂ᵗ).
    var biasCorrection2Sqrt: Float
    /// −lr / (1 − β₁ᵗ).
    var negativeStepSize: Float
    var eps: Float
    /// The gradient is read times this (gradient clipping, fused into the update); 1 reads it as is.
    var gradientScale: Float = 1

    init(lr: Double, beta1: Double, beta2: Double, eps: Double, weightDecay: Double, step: Int) {
        let t = Double(step)
        decay = Float(1 - lr * weightDecay)
        lerpWeight = Float(1 - beta1)
        self.beta2 = Float(beta2)
        oneMinusBeta2 = Float(1 - beta2)
        biasCorrection2Sqrt = Float((1 - pow(beta2, t)).squareRoot())
        negativeStepSize = Float(-(lr / (1 - pow(beta1, t))))
        self.eps = Float(eps)
    }
}

enum OptimKernels {
    /// Element counts below this run on the calling thread: splitting costs more than it saves.
    static let parallelThreshold = 1 << 16

    /// How many chunks a loop over `count` elements is split into (1 when it is small).
    static func chunkCount(_ count: Int) -> Int {
        let threads = Threads.count
        guard threads > 1, count >= parallelThreshold else { return 1 }
        return min(threads, count / (parallelThreshold / 4))
    }

    /// Runs `body(chunk, range)` over `0..<count` cut into `chunks` contiguous ranges, in parallel
    /// when `chunks > 1`. The ranges are disjoint, so chunks never write the same element.
    static func forEachChunk(_ count: Int, chunks: Int, _ body: (Int, Range<Int>) -> Void) {
        if chunks <= 1 {
            body(0, 0..<count)
            return
        }
        // Each chunk touches its own range; the caller keeps every buffer alive until we return.
        nonisolated(unsafe) let body = body
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            body(c, count * c / chunks ..< count * (c + 1) / chunks)
        }
    }

    /// One AdamW step in place over `count` elements (`torch.optim.AdamW`, single-tensor path):
    ///
    ///     g ← g·c                                           clip_grad_norm_'s factor, when clipping
    ///     p ← p·(1 − lr·λ)                                  decoupled weight decay
    ///     m ← m + (1 − β₁)·(g − m)                          = β₁·m + (1 − β₁)·g   (torch's lerp_)
    ///     v ← v·β₂ + ((1 − β₂)·g)·g                         (mul_ then addcmul_)
    ///     p ← p + ((−lr/(1 − β₁ᵗ))·m) / (√v / √(1 − β₂ᵗ) + ε)   (addcdiv_)
    ///
    /// Each line rounds to Float where torch's kernels do, so the result matches PyTorch's to an ulp
    /// or two (its vectorized lerp uses a fused multiply-add). Memory traffic: read p g m v, write p m v.
    /// The loop is C (`CKernels`): Swift computes a vector's square roots one lane at a time, and
    /// those made the update bound by arithmetic rather than memory. Vector square roots and
    /// quotients round exactly as scalar ones, so every build gives the same bits.
    static func adamW(
        parameter p: UnsafeMutablePointer<Float>, gradient g: UnsafePointer<Float>,
        expAvg m: UnsafeMutablePointer<Float>, expAvgSq v: UnsafeMutablePointer<Float>,
        count: Int, _ s: AdamWScalars
    ) {
        nonisolated(unsafe) let (p, g, m, v) = (p, g, m, v)
        forEachChunk(count, chunks: chunkCount(count)) { _, range in
            let i = range.lowerBound
            bertkit_adamw(p + i, g + i, m + i, v + i, range.count, s.gradientScale, s.decay, s.lerpWeight, s.beta2, s.oneMinusBeta2,
                          s.biasCorrection2Sqrt, s.negativeStepSize, s.eps)
        }
    }

    /// Σ xᵢ² over `count` elements, accumulated in Double.
    static func sumOfSquares(_ x: UnsafePointer<Float>, count: Int) -> Double {
        nonisolated(unsafe) let x = x
        let chunks = chunkCount(count)
        if chunks == 1 { return sumOfSquares(x, 0..<count) }
        var partial = [Double](repeating: 0, count: chunks)
        partial.withUnsafeMutableBufferPointer { buffer in
            nonisolated(unsafe) let out = buffer.baseAddress!
            forEachChunk(count, chunks: chunks) { c, range in out[c] = sumOfSquares(x, range) }
        }
        return partial.reduce(0, +)
    }

    private static func sumOfSquares(_ x: UnsafePointer<Float>, _ range: Range<Int>) -> Double {
        // Four accumulators keep the Double adds from forming one serial dependency chain.
        var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
        var i = range.lowerBound
        while i + 4 <= range.upperBound {
            let a = Double(x[i]), b = Double(x[i + 1]), c = Double(x[i + 2]), d = Double(x[i + 3])
            s0 += a * a; s1 += b * b; s2 += c * c; s3 += d * d
            i += 4
        }
        while i < range.upperBound {
            let a = Double(x[i])
            s0 += a * a
            i += 1
        }
        return (s0 + s1) + (s2 + s3)
    }

    /// x ← x·factor in place.
    static func scale(_ x: UnsafeMutablePointer<Float>, by factor: Float, count: Int) {
        nonisolated(unsafe) let x = x
        forEachChunk(count, chunks: chunkCount(count)) { _, range in
            for i in range { x[i] *= factor }
        }
    }
}
