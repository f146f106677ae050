// Mirrors transformers' DistilBertSelfAttention, FFN, TransformerBlock and Transformer.
import Checkpoints
import Layers
import Tensor

/// `attention`: `q_lin`, `k_lin`, `v_lin`, multi-head attention, then `out_lin` (no dropout after it).
public final class DistilBertSelfAttention {
    public let qLin: Linear
    public let kLin: Linear
    public let vLin: Linear
    public let outLin: Linear
    public let heads: Int
    let dropoutProbability: Float
    let store: ParameterStore

    public init(_ path: WeightPath, config: DistilBertConfig) {
        let (d, std) = (config.dim, Float(config.initializerRange))
        qLin = Linear(path["q_lin"], inFeatures: d, outFeatures: d, std: std)
        kLin = Linear(path["k_lin"], inFeatures: d, outFeatures: d, std: std)
        vLin = Linear(path["v_lin"], inFeatures: d, outFeatures: d, std: std)
        outLin = Linear(path["out_lin"], inFeatures: d, outFeatures: d, std: std)
        heads = config.nHeads
        dropoutProbability = Float(config.attentionDropout)
        store = path.store
    }

    /// `[batch, seq, dim]` → the same shape, and the attention probabilities `[batch, heads, seq, seq]`.
    public func callAsFunction(_ x: Tensor, mask: AttentionMask) -> (output: Tensor, probabilities: Tensor) {
        let (context, probabilities) = contextAndProbabilities(x, mask: mask)
        return (outLin(context), probabilities)
    }

    /// The heads' output before `out_lin`, which the block applies inside its LayerNorm's pass.
    func contextAndProbabilities(_ x: Tensor, mask: AttentionMask) -> (context: Tensor, probabilities: Tensor) {
        Tensor.attention(
            query: qLin(x), key: kLin(x), value: vLin(x), layout: mask, heads: heads,
            dropout: dropoutProbability, training: store.training, generator: &store.generator)
    }
}

/// `ffn`: `lin1` → `activation` → `lin2` → dropout.
public final class DistilBertFFN {
    public let lin1: Linear
    public let lin2: Linear
    public let activation: Activation
    let dropout: Dropout

    public init(_ path: WeightPath, config: DistilBertConfig) {
        let std = Float(config.initializerRange)
        lin1 = Linear(path["lin1"], inFeatures: config.dim, outFeatures: config.hiddenDim, std: std)
        lin2 = Linear(path["lin2"], inFeatures: config.hiddenDim, outFeatures: config.dim, std: std)
        activation = config.activation
        dropout = Dropout(path, probability: Float(config.dropout))
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { dropout(lin2(hidden(x))) }

    /// `activation(lin1(x))`: the block applies `lin2` and dropout inside its LayerNorm's pass.
    func hidden(_ x: Tensor) -> Tensor { activation(lin1, x) }
}

/// `transformer.layer.{i}` (transformers' TransformerBlock): attention, `sa_layer_norm` over the
/// residual sum, the feed-forward block, `output_layer_norm` over its residual sum.
public final class DistilBertTransformerBlock {
    public let attention: DistilBertSelfAttention
    public let saLayerNorm: LayerNorm
    public let ffn: DistilBertFFN
    public let outputLayerNorm: LayerNorm

    public init(_ path: WeightPath, config: DistilBertConfig) {
        let eps = Float(DistilBertConfig.layerNormEps)
        attention = DistilBertSelfAttention(path["attention"], config: config)
        saLayerNorm = LayerNorm(path["sa_layer_norm"], size: config.dim, eps: eps)
        ffn = DistilBertFFN(path["ffn"], config: config)
        outputLayerNorm = LayerNorm(path["output_layer_norm"], size: config.dim, eps: eps)
    }

    public func callAsFunction(_ x: Tensor, mask: AttentionMask) -> (output: Tensor, probabilities: Tensor) {
        let (context, probabilities) = attention.contextAndProbabilities(x, mask: mask)
        let normed = saLayerNorm(attention.outLin, context, residual: x)
        return (outputLayerNorm(ffn.lin2, ffn.hidden(normed), dropout: ffn.dropout, residual: normed), probabilities)
    }
}

/// `transformer` (transformers' Transformer): the stack of blocks, `transformer.layer.{i}`.
public final class DistilBertTransformer {
    public let layers: [DistilBertTransformerBlock]

    /// Builds the first `count` blocks of the configuration's `n_layers`.
    public init(_ path: WeightPath, config: DistilBertConfig, count: Int) {
        layers = (0..<count).map { DistilBertTransformerBlock(path["layer"][$0], config: config) }
    }
}
