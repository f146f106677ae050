import Tensor

/// Layer normalization over the last axis, with PyTorch's key names (`weight`, `bias`).
public final class LayerNorm {
    public let weight: Parameter
    public let bias: Parameter
    public let eps: Float

    public init(_ path: WeightPath, size: Int, eps: Float) {
        weight = path.parameter("weight", shape: [size], initializer: .ones)
        bias = path.parameter("bias", shape: [size], initializer: .zeros)
        self.eps = eps
    }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.layerNorm(gamma: weight.value, beta: bias.value, eps: eps)
    }

    /// `self(dropout(dense(x)) + residual)`: the end of a residual block. Unless dropout is
    /// active, the dense layer's bias and the residual are added inside the normalization's own
    /// pass (``Tensor/layerNorm(addingBias:residual:gamma:beta:eps:)``), two passes over the
    /// activations fewer.
    public func callAsFunction(_ dense: Linear, _ x: Tensor, dropout: Dropout? = nil, residual: Tensor,
                               _ context: ForwardContext) -> Tensor {
        if let dropout, dropout.isActive(in: context) { return self(dropout(dense(x, context), context) + residual) }
        return dense.product(x, context)
            .layerNorm(addingBias: dense.bias?.value, residual: residual, gamma: weight.value, beta: bias.value, eps: eps)
    }
}
