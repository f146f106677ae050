/// Which parameters get weight decay, decided from a parameter's name and shape.
///
/// The default, ``standard``, follows the BERT fine-tuning recipe (transformers' `no_decay =
/// ["bias", "LayerNorm.weight"]`, and its Trainer's "no decay for norm layers and biases"), stated
/// so it holds for every model family without a list per architecture:
///
/// - no decay for a parameter of rank 0 or 1: biases, LayerNorm gains, scalars;
/// - no decay when the lowercased name contains `bias`, `layernorm`, `layer_norm` or `norm.`
///   (this catches a matrix-shaped bias or norm weight too);
/// - decay for everything else: the weight matrices of linear layers and the embedding tables.
///
/// Override it with ``excluding(nameFragments:vectors:)`` or any predicate:
///
/// ```swift
/// let rule = WeightDecayRule { name, shape in !name.hasPrefix("embeddings.") && shape.count >= 2 }
/// ```
public struct WeightDecayRule: Sendable {
    private let predicate: @Sendable (_ name: String, _ shape: [Int]) -> Bool

    /// A rule from a predicate that returns true when the parameter should be decayed.
    public init(_ decays: @escaping @Sendable (_ name: String, _ shape: [Int]) -> Bool) {
        predicate = decays
    }

    /// Whether the parameter with this name and shape is decayed.
    public func decays(name: String, shape: [Int]) -> Bool {
        predicate(name, shape)
    }

    /// The lowercase name fragments ``standard`` exempts from decay.
    public static let standardExcludedFragments = ["bias", "layernorm", "layer_norm", "norm."]

    /// No decay for biases, norm weights and any parameter of rank below 2 (see the type's notes).
    public static let standard = excluding(nameFragments: standardExcludedFragments, vectors: true)

    /// Decay every parameter (plain `torch.optim.AdamW(model.parameters())`).
    public static let all = WeightDecayRule { _, _ in true }

    /// Decay nothing.
    public static let nothing = WeightDecayRule { _, _ in false }

    /// No decay for parameters whose lowercased name contains one of `nameFragments` (compare them
    /// in lowercase), nor, when `vectors` is true, for parameters of rank 0 or 1.
    public static func excluding(nameFragments: [String], vectors: Bool = true) -> WeightDecayRule {
        let fragments = nameFragments.map { $0.lowercased() }
        return WeightDecayRule { name, shape in
            if vectors && shape.count < 2 { return false }
            let lower = name.lowercased()
            return !fragments.contains { lower.contains($0) }
        }
    }
}
