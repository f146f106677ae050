// Mirrors transformers' BertLayer, BertIntermediate, BertOutput and BertEncoder.
import Checkpoints
import Layers
import Tensor

/// `intermediate`: dense to `intermediate_size`, then `hidden_act`.
public final class BertIntermediate {
    public let dense: Linear
    public let activation: Activation

    public init(_ path: WeightPath, config: BertConfig) {
        dense = Linear(path["dense"], inFeatures: config.hiddenSize, outFeatures: config.intermediateSize,
                       std: Float(config.initializerRange))
        activation = config.hiddenAct
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { activation(dense, x) }
}

/// One transformer block: attention, then the feed-forward block, each with residual + LayerNorm.
public final class BertLayer {
    public let attention: BertAttention
    public let intermediate: BertIntermediate
    public let output: BertResidualOutput

    public init(_ path: WeightPath, config: BertConfig) {
        attention = BertAttention(path["attention"], config: config)
        intermediate = BertIntermediate(path["intermediate"], config: config)
        output = BertResidualOutput(path["output"], inFeatures: config.intermediateSize, config: config)
    }

    public func callAsFunction(_ x: Tensor, mask: AttentionMask) -> (output: Tensor, probabilities: Tensor) {
        let (attended, probabilities) = attention(x, mask: mask)
        return (output(intermediate(attended), residual: attended), probabilities)
    }
}

/// `encoder`: the stack of layers (`encoder.layer.N`).
public final class BertEncoder {
    public let layers: [BertLayer]

    /// Builds the first `count` layers of the configuration's `num_hidden_layers`.
    public init(_ path: WeightPath, config: BertConfig, count: Int) {
        layers = (0..<count).map { BertLayer(path["layer"][$0], config: config) }
    }
}

/// `pooler`: dense + tanh on the first token.
public final class BertPooler {
    public let dense: Linear

    public init(_ path: WeightPath, config: BertConfig) {
        dense = Linear(path["dense"], inFeatures: config.hiddenSize, outFeatures: config.hiddenSize,
                       std: Float(config.initializerRange))
    }

    /// `[batch, seq, hidden]` → `[batch, hidden]`.
    public func callAsFunction(_ hidden: Tensor) -> Tensor {
        let first = hidden.sliced(axis: 1, 0..<1).reshaped([hidden.shape[0], hidden.shape[2]])
        return dense(first).tanh()
    }
}
