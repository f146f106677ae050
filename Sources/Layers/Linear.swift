import Tensor

/// A dense layer, `y = x·Wᵀ + b`, with PyTorch's `nn.Linear` layout and key names
/// (`weight` `[out, in]`, `bias` `[out]`).
///
/// A ``LoRA`` adapter can be attached beside the weight (``attachAdapter(rank:alpha:dropout:)``):
/// the layer then computes `x·Wᵀ + b + Δy`. ``all(in:)`` finds the layers of a module tree.
public final class Linear {
    public let weight: Parameter
    public let bias: Parameter?
    /// The low-rank adapter beside the weight, if one is attached.
    public private(set) var adapter: LoRA?
    /// Where an adapter's parameters are created. Weak: the store owns the parameters, not the layers.
    weak var store: ParameterStore?

    public init(_ path: WeightPath, inFeatures: Int, outFeatures: Int, bias: Bool = true, std: Float = 0.02) {
        weight = path.parameter("weight", shape: [outFeatures, inFeatures], initializer: .normal(std: std))
        self.bias = bias ? path.parameter("bias", shape: [outFeatures], initializer: .zeros) : nil
        store = path.store
    }

    /// The layer's path without the final `weight` (`encoder.layer.0.attention.self.query`).
    public var name: String { String(weight.name.dropLast(".weight".count)) }

    public var inFeatures: Int { weight.shape[1] }
    public var outFeatures: Int { weight.shape[0] }

    /// `[..., in]` → `[..., out]`.
    public func callAsFunction(_ x: Tensor, _ context: ForwardContext) -> Tensor {
        let y = x.linear(weight: weight.value, bias: bias?.value)
        guard let adapter else { return y }
        return y + adapter(x, context)
    }

    /// `x·Wᵀ` plus the adapter's update, without the bias: for fused kernels that add the bias
    /// in a pass of their own (GELU, residual + LayerNorm).
    public func product(_ x: Tensor, _ context: ForwardContext) -> Tensor {
        let y = x.linear(weight: weight.value, bias: nil)
        guard let adapter else { return y }
        return y + adapter(x, context)
    }

    /// Attaches a new LoRA adapter (`A` random, `B` zero) under this layer's path. Its
    /// parameters are trainable; the layer's own weight and bias keep their `trainable` flag.
    @discardableResult
    public func attachAdapter(rank: Int, alpha: Float, dropout: Float) -> LoRA {
        precondition(adapter == nil, "\(name) already has a LoRA adapter")
        guard let store else { preconditionFailure("\(name): its parameter store is gone") }
        let path = WeightPath(store: store, segments: name.split(separator: ".").map(String.init))
        let lora = LoRA(path, inFeatures: inFeatures, outFeatures: outFeatures, rank: rank, alpha: alpha, dropout: dropout)
        adapter = lora
        return lora
    }

    /// Adds the adapter's `s·B·A` into the weight and drops the adapter and its parameters
    /// (the weight then gives, alone, what weight plus adapter gave).
    public func mergeAdapter() {
        guard let adapter else { return }
        let delta = adapter.weightDelta()
        weight.value.withUnsafeMutableBufferPointer { w in
            for i in w.indices { w[i] += delta[i] }
        }
        store?.remove([adapter.a.name, adapter.b.name])
        self.adapter = nil
    }
}
