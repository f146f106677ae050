import Tensor

/// A LoRA adapter (Hu et al., 2021) beside a frozen dense layer: `Δy = s · dropout(x)·Aᵀ·Bᵀ`,
/// with `A` `[r, in]`, `B` `[out, r]` and `s = alpha / r`, as Hugging Face PEFT's `lora.Linear`.
///
/// The parameters are named by construction under the layer's own path, as PEFT names them in
/// an adapter file: `encoder.layer.0.attention.self.query.lora_A.weight` and `….lora_B.weight`.
/// `A` starts as PyTorch's `kaiming_uniform_(a: √5)` (uniform in ±1/√in) and `B` at zero, so
/// an untrained adapter leaves the layer exactly as it was.
public final class LoRA {
    /// `lora_A.weight`, `[rank, in]`.
    public let a: Parameter
    /// `lora_B.weight`, `[out, rank]`.
    public let b: Parameter
    public let rank: Int
    public let alpha: Float
    let dropout: Dropout

    /// The factor on the low-rank product, `alpha / rank` (PEFT's `scaling`).
    public var scale: Float { alpha / Float(rank) }

    public init(_ path: WeightPath, inFeatures: Int, outFeatures: Int, rank: Int, alpha: Float, dropout: Float) {
        precondition(rank >= 1, "LoRA rank must be at least 1, got \(rank)")
        a = path["lora_A"].parameter("weight", shape: [rank, inFeatures],
                                     initializer: .uniform(bound: 1 / Float(inFeatures).squareRoot()))
        b = path["lora_B"].parameter("weight", shape: [outFeatures, rank], initializer: .zeros)
        self.rank = rank
        self.alpha = alpha
        self.dropout = Dropout(probability: dropout)
    }

    /// `[..., in]` → `[..., out]`: the low-rank update alone. The scale multiplies the
    /// `[..., rank]` intermediate, the narrowest place to apply it.
    public func callAsFunction(_ x: Tensor, _ context: ForwardContext) -> Tensor {
        dropout(x, context).linear(weight: a.value, bias: nil).scaled(scale).linear(weight: b.value, bias: nil)
    }

    /// `s · B·A`, `[out, in]`: what merging adds to the base weight.
    public func weightDelta() -> [Float] {
        let (out, r) = (b.shape[0], rank), inFeatures = a.shape[1]
        let av = a.value.scalars, bv = b.value.scalars, s = scale
        var delta = [Float](repeating: 0, count: out * inFeatures)
        for o in 0..<out {
            for k in 0..<r {
                let f = s * bv[o * r + k]
                if f == 0 { continue }
                for i in 0..<inFeatures { delta[o * inFeatures + i] += f * av[k * inFeatures + i] }
            }
        }
        return delta
    }
}

extension Linear {
    /// Every dense layer of the module tree under `module` (stored properties, arrays and
    /// optionals, followed down), each once, in the order the tree declares them: what LoRA
    /// transforms. The tree is walked by reflection, so no module registers itself anywhere.
    public static func all(in module: Any) -> [Linear] {
        var seen = Set<ObjectIdentifier>(), found: [Linear] = []
        func visit(_ value: Any) {
            if let linear = value as? Linear {
                if seen.insert(ObjectIdentifier(linear)).inserted { found.append(linear) }
                return
            }
            if value is ParameterStore || value is Parameter || value is Tensor { return }
            let mirror = Mirror(reflecting: value)
            if mirror.displayStyle == .class, !seen.insert(ObjectIdentifier(value as AnyObject)).inserted { return }
            for child in mirror.children { visit(child.value) }
        }
        visit(module)
        return found
    }

    /// The LoRA adapters attached in the module tree under `module`, with their layers.
    public static func adapters(in module: Any) -> [(layer: Linear, adapter: LoRA)] {
        all(in: module).compactMap { layer in layer.adapter.map { (layer, $0) } }
    }
}
