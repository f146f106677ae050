import Tensor

/// A named, learnable tensor. Its name is the checkpoint key it was built under
/// (`encoder.layer.0.attention.self.query.weight`), so no rename table is ever needed.
///
/// `trainable` is Keras' flag: a frozen parameter gets no gradient, and ops that read only
/// frozen parameters and constant inputs record nothing, so they cost no backward work.
public final class Parameter {
    /// The full weight path, e.g. `embeddings.LayerNorm.weight`.
    public let name: String
    /// The current value. Optimizers update it in place.
    public let value: Tensor

    init(name: String, value: Tensor, trainable: Bool = true) {
        self.name = name
        self.value = value
        value.requiresGrad = trainable
    }

    /// Whether the optimizer updates this parameter. Freezing drops any gradient it holds.
    public var trainable: Bool {
        get { value.requiresGrad }
        set {
            value.requiresGrad = newValue
            if !newValue { value.zeroGrad() }
        }
    }

    public var shape: [Int] { value.shape }
    public var count: Int { value.count }

    /// The gradient accumulated by the last backward passes, if any.
    public var grad: Tensor? { value.grad }
}
