// Mirrors transformers' BertLayer: BertAttention (self-attention + BertSelfOutput), BertIntermediate
// and BertOutput. RoBERTa and ELECTRA use it as it is.
import Checkpoints
import Layers
import Tensor

/// One transformer block: attention, then the feed-forward block, each with residual + LayerNorm.
public final class BertLayer: EncoderLayer {
    /// `attention.self`.
    public let selfAttention: SelfAttention
    /// `attention.output`: dense, dropout, LayerNorm over the residual sum.
    public let attentionOutput: BertResidualOutput
    /// `intermediate.dense`, then `hidden_act`.
    public let intermediate: Linear
    public let activation: Activation
    /// `output`: dense, dropout, LayerNorm over the residual sum.
    public let output: BertResidualOutput

    public init(_ path: WeightPath, config: BertConfig) {
        let (h, std) = (config.hiddenSize, config.initializerRange)
        selfAttention = SelfAttention(path["attention"]["self"], hidden: h, heads: config.numAttentionHeads,
                                      dropout: config.attentionProbsDropoutProb, std: std)
        attentionOutput = BertResidualOutput(path["attention"]["output"], inFeatures: h, config: config)
        intermediate = Linear(path["intermediate"]["dense"], inFeatures: h, outFeatures: config.intermediateSize, std: Float(std))
        activation = config.hiddenAct
        output = BertResidualOutput(path["output"], inFeatures: config.intermediateSize, config: config)
    }

    public func callAsFunction(_ x: Tensor, mask: AttentionMask, _ context: ForwardContext) -> (output: Tensor, probabilities: [Tensor]) {
        let (heads, probabilities) = selfAttention(x, mask: mask, context)
        let attended = attentionOutput(heads, residual: x, context)
        return (output(activation(intermediate, attended, context), residual: attended, context), [probabilities])
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
        dropout = Dropout(probability: Float(config.hiddenDropoutProb))
    }

    public func callAsFunction(_ x: Tensor, residual: Tensor, _ context: ForwardContext) -> Tensor {
        layerNorm(dense, x, dropout: dropout, residual: residual, context)
    }
}
