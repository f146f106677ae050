import Checkpoints
import Tensor

/// How a sequence of token vectors becomes one vector: for ``SentenceEmbedder``-style embeddings,
/// `bertkit embed --pooling` and a task head's `--pooling` alike.
public enum Pooling: String, Sendable, Codable, CaseIterable {
    /// The first token's vector (`[CLS]`).
    case cls
    /// The mean over real tokens (padding excluded).
    case mean
    /// The element-wise max over real tokens; padding never wins.
    case max
    /// The encoder's pooler output (BERT's dense + tanh on `[CLS]`, transformers' `pooler_output`),
    /// as `BertForSequenceClassification` uses it. From token vectors alone it is the first token,
    /// which the pooler (or a head's own dense layer) reads.
    case pooler

    /// `[batch, seq, hidden]` and a `[batch, seq]` 0/1 mask → `[batch, hidden]`.
    public func callAsFunction(_ hidden: Tensor, mask: Tensor) -> Tensor {
        switch self {
        case .cls, .pooler: return hidden.sliced(axis: 1, 0..<1).reshaped([hidden.shape[0], hidden.shape[2]])
        case .mean: return hidden.maskedMean(mask: mask)
        case .max: return hidden.maskedMax(mask: mask)
        }
    }

    /// `poolerOutput` for ``pooler`` when the encoder computed one; else the pooling of `hidden`.
    public func callAsFunction(_ hidden: Tensor, mask: Tensor, poolerOutput: Tensor?) -> Tensor {
        if self == .pooler, let poolerOutput { return poolerOutput }
        return self(hidden, mask: mask)
    }

    /// The pooling a sentence-transformers folder declares (`1_Pooling/config.json`), or `cls`
    /// when it declares none we implement or the folder is a plain transformers one.
    public static func `default`(for settings: SentenceTransformerConfig?) -> Pooling {
        guard let modes = settings?.pooling?.modes else { return .cls }
        if modes.contains(.mean) { return .mean }
        if modes.contains(.max) { return .max }
        return .cls
    }
}
