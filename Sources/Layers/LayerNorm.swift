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
}
