import Tensor

/// A lookup table of `count` vectors of size `dim` (key name `weight`).
public final class Embedding {
    public let weight: Parameter

    public init(_ path: WeightPath, count: Int, dim: Int, std: Float = 0.02) {
        weight = path.parameter("weight", shape: [count, dim], initializer: .normal(std: std))
    }

    public var count: Int { weight.shape[0] }
    public var dim: Int { weight.shape[1] }

    /// `ids` of shape S → `[S..., dim]`.
    public func callAsFunction(_ ids: IDTensor) -> Tensor {
        weight.value.embedding(ids)
    }
}
