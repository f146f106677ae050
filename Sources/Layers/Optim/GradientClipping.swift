import Tensor

/// The global L2 norm of the gradients of `parameters`: √(Σ over every gradient element of g²),
/// as if all gradients were one vector. Parameters without a gradient are left out.
public func gradientNorm(_ parameters: [Parameter]) -> Float {
    var total = 0.0
    for parameter in parameters {
        guard let grad = parameter.grad else { continue }
        total += grad.withUnsafeBufferPointer { OptimKernels.sumOfSquares($0.baseAddress!, count: $0.count) }
    }
    return Float(total.squareRoot())
}

/// Σ xᵢ² over `values`, accumulated in Double as ``gradientNorm(_:)`` does: for a norm whose parts
/// live elsewhere (data-parallel training sums each rank's part).
public func sumOfSquares(_ values: UnsafeBufferPointer<Float>) -> Double {
    guard let base = values.baseAddress else { return 0 }
    return OptimKernels.sumOfSquares(base, count: values.count)
}

/// The factor `clipGradientNorm` multiplies gradients by for a global norm `total`, or nil when
/// it leaves them as they are.
public func clipCoefficient(norm total: Float, maxNorm: Float) -> Float? {
    let coefficient = maxNorm / (total + 1e-6)
    return coefficient < 1 ? coefficient : nil
}

/// Scales the gradients of `parameters` so that their global L2 norm is at most `maxNorm`, and
/// returns the norm before scaling (`torch.nn.utils.clip_grad_norm_`).
///
/// With `total = gradientNorm(parameters)`, every gradient is multiplied by
/// `min(1, maxNorm / (total + 1e-6))`, in Float as torch computes it; the gradients are left
/// as they are when that factor is 1. Squares are summed in Double, so the norm may differ from
/// torch's Float reduction in the last bit.
///
/// A non-finite norm (a NaN or infinite gradient) is returned as it is; the trainer should skip
/// the step then. Gradients that share one buffer (the two inputs of an `a + b` share the same
/// gradient until one of them accumulates more) are scaled once.
@discardableResult
public func clipGradientNorm(_ parameters: [Parameter], maxNorm: Float) -> Float {
    precondition(maxNorm > 0, "clipGradientNorm: maxNorm must be positive, got \(maxNorm)")
    let total = gradientNorm(parameters)
    guard let coefficient = clipCoefficient(norm: total, maxNorm: maxNorm) else { return total }
    var scaled = Set<UnsafeMutablePointer<Float>>()
    for parameter in parameters {
        guard let grad = parameter.grad else { continue }
        grad.withUnsafeMutableBufferPointer { g in
            guard let base = g.baseAddress, scaled.insert(base).inserted else { return }
            OptimKernels.scale(base, by: coefficient, count: g.count)
        }
    }
    return total
}
