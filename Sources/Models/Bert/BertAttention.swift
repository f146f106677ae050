// Mirrors transformers' BertSelfAttention, BertSelfOutput and BertAttention.
import Checkpoints
import Layers
import Tensor

/// `attention.self`: query, key and value projections and multi-head scaled dot-product attention.
public final class BertSelfAttention {
    public let query: Linear
    public let key: Linear
    public let value: Linear
    public let heads: Int
    let dropoutProbability: Float
    let store: ParameterStore

    public init(_ path: WeightPath, config: BertConfig) {
        let (h, std) = (config.hiddenSize, Float(config.initializerRange))
        query = Linear(path["query"], inFeatures: h, outFeatures: h, std: std)
        key = Linear(path["key"], inFeatures: h, outFeatures: h, std: std)
        value = Linear(path["value"], inFeatures: h, outFeatures: h, std: std)
        heads = config.numAttentionHeads
        dropoutProbability = Float(config.attentionProbsDropoutProb)
        store = path.store
    }

    /// `[batch, seq, hidden]` (or packed `[tokens, hidden]`) → context of the same shape, and the
    /// attention probabilities.
    ///
    /// The three projections write one `[tokens, 3·hidden]` result side by side
    /// (``Tensor/linear(weights:biases:)``), so attention reads q, k and v in place and no weight
    /// is copied. The parameters stay separate (`query`, `key`, `value`), as the checkpoint names them.
    public func callAsFunction(_ x: Tensor, mask: AttentionMask) -> (context: Tensor, probabilities: Tensor) {
        // With a LoRA adapter on a projection, each projection runs as its own layer (base + Δ).
        let adapted = query.adapter != nil || key.adapter != nil || value.adapter != nil
        guard !adapted, let qb = query.bias?.value, let kb = key.bias?.value, let vb = value.bias?.value else {
            return Tensor.attention(query: query(x), key: key(x), value: value(x), layout: mask, heads: heads,
                                    dropout: dropoutProbability, training: store.training, generator: &store.generator)
        }
        let qkv = x.linear(weights: [query.weight.value, key.weight.value, value.weight.value], biases: [qb, kb, vb])
        return Tensor.attention(qkv: qkv, layout: mask, heads: heads, dropout: dropoutProbability,
                                training: store.training, generator: &store.generator)
    }
}

/// `attention.output` and `output`: dense, dropout, then LayerNorm over the residual sum.
public final class BertResidualOutput {
    public let dense: Linear
    public let layerNorm: LayerNorm
    let dropout: Dropout

    public init(_ path: WeightPath, inFeatures: Int, config: BertConfig) {
        dense = Linear(path["dense"], inFeatures: inFeatures, outFeatures: config.hiddenSize, std: Float(config.initializerRange))
        layerNorm = LayerNorm(path["LayerNorm"], size: config.hiddenSize, eps: Float(config.layerNormEps))
        dropout = Dropout(path, probability: Float(config.hiddenDropoutProb))
    }

    public func callAsFunction(_ x: Tensor, residual: Tensor) -> Tensor {
        layerNorm(dense, x, dropout: dropout, residual: residual)
    }
}

/// `attention`: self-attention followed by its output block.
public final class BertAttention {
    public let selfAttention: BertSelfAttention
    public let output: BertResidualOutput

    public init(_ path: WeightPath, config: BertConfig) {
        selfAttention = BertSelfAttention(path["self"], config: config)
        output = BertResidualOutput(path["output"], inFeatures: config.hiddenSize, config: config)
    }

    public func callAsFunction(_ x: Tensor, mask: AttentionMask) -> (output: Tensor, probabilities: Tensor) {
        let (context, probabilities) = selfAttention(x, mask: mask)
        return (output(context, residual: x), probabilities)
    }
}
