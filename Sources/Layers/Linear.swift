import Tensor

/// A dense layer, `y = x·Wᵀ + b`, with PyTorch's `nn.Linear` layout and key names
/// (`weight` `[out, in]`, `bias` `[out]`).
public final class Linear {
    public let weight: Parameter
    public let bias: Parameter?

    public init(_ path: WeightPath, inFeatures: Int, outFeatures: Int, bias: Bool = true, std: Float = 0.02) {
        weight = path.parameter("weight", shape: [outFeatures, inFeatures], initializer: .normal(std: std))
        self.bias = bias ? path.parameter("bias", shape: [outFeatures], initializer: .zeros) : nil
    }

    public var inFeatures: Int { weight.shape[1] }
    public var outFeatures: Int { weight.shape[0] }

    /// `[..., in]` → `[..., out]`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.linear(weight: weight.value, bias: bias?.value)
    }
}
