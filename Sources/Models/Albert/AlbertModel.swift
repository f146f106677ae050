// Mirrors transformers' AlbertModel: BERT's embeddings at `embedding_size`, mapped to `hidden_size`
// by `encoder.embedding_hidden_mapping_in`, then `num_hidden_layers` applications of
// `num_hidden_groups` shared layer groups (`encoder.albert_layer_groups.G.albert_layers.I`), and an
// optional `pooler` (a Linear, + tanh on the first token); `base_model_prefix` "albert".
import Checkpoints
import Layers
import Tensor

extension AlbertConfig: BertBasedFamilyConfig {
    public static let modelTypes = ["albert"]
    public static let classNameStems = ["Albert": "albert"]

    public var traits: EncoderFamilyTraits {
        // ALBERT's head dropout is classifier_dropout_prob, not BERT's classifier_dropout.
        base.traits(baseModelPrefix: "albert", classPrefix: "Albert", classifierDropout: classifierDropoutProb ?? base.hiddenDropoutProb,
                    poolerWeight: "pooler.weight", poolerHead: .encoderPooler)
    }

    /// Builds the groups the first `layers` applications run (each whole: its parameters are shared).
    /// Freezing the lowest N layers freezes the groups they run, and so every layer that runs them.
    public func makeParts(path: WeightPath, layers: Int, pooler: Bool) -> EncoderParts {
        let std = Float(base.initializerRange)
        let embeddings = ProjectedEmbeddings(
            BertEmbeddings(path["embeddings"], config: base, width: embeddingSize),
            projection: Linear(path["encoder"]["embedding_hidden_mapping_in"], inFeatures: embeddingSize, outFeatures: base.hiddenSize, std: std))
        let groupCount = layers == 0 ? 0 : min(groupIndex(ofLayer: layers - 1) + 1, numHiddenGroups)
        let groups = (0..<groupCount).map { AlbertLayerGroup(path["encoder"]["albert_layer_groups"][$0], config: self) }
        let fixed = [("embeddings.", "AlbertEmbeddings"), ("encoder.embedding_hidden_mapping_in.", "Linear")]
        return EncoderParts(
            embeddings: embeddings,
            layers: (0..<layers).map { groups[groupIndex(ofLayer: $0)] },
            pooler: pooler ? Linear(path["pooler"], inFeatures: base.hiddenSize, outFeatures: base.hiddenSize, std: std) : nil,
            blocks: fixed + groups.indices.map { ("encoder.albert_layer_groups.\($0).", "AlbertLayerGroup") }
                + (pooler ? [("pooler.", "Linear + Tanh")] : []),
            lowestLayers: { n in
                fixed.map(\.0) + Set((0..<n).map(groupIndex(ofLayer:))).sorted().map { "encoder.albert_layer_groups.\($0)." }
            })
    }
}

extension EncoderConfig {
    /// An ALBERT configuration.
    public static func albert(_ config: AlbertConfig) -> EncoderConfig { EncoderConfig(config) }
}

/// `albert_layer_groups.{g}`: `inner_group_num` layers applied one after the other. A group's
/// parameters are shared by every layer application that runs it.
public final class AlbertLayerGroup: EncoderLayer {
    public let albertLayers: [AlbertLayer]

    public init(_ path: WeightPath, config: AlbertConfig) {
        albertLayers = (0..<config.innerGroupNum).map { AlbertLayer(path["albert_layers"][$0], config: config) }
    }

    /// Runs the inner layers; returns the output and each inner layer's attention probabilities.
    public func callAsFunction(_ x: Tensor, mask: AttentionMask, _ context: ForwardContext) -> (output: Tensor, probabilities: [Tensor]) {
        var hidden = x, probabilities: [Tensor] = []
        for layer in albertLayers {
            let (output, p) = layer(hidden, mask: mask, context)
            hidden = output
            probabilities.append(p)
        }
        return (hidden, probabilities)
    }
}

/// One transformer block: `attention` (query, key, value, then `dense`, dropout and `LayerNorm`
/// over the residual sum, in one module), then `ffn` → `hidden_act` → `ffn_output` and
/// `full_layer_layer_norm` over the residual sum (transformers applies no dropout after `ffn_output`).
public final class AlbertLayer {
    public let selfAttention: SelfAttention
    public let dense: Linear
    public let layerNorm: LayerNorm
    public let ffn: Linear
    public let ffnOutput: Linear
    public let fullLayerLayerNorm: LayerNorm
    public let activation: Activation
    let outputDropout: Dropout

    public init(_ path: WeightPath, config: AlbertConfig) {
        let (h, std, eps) = (config.hiddenSize, Float(config.initializerRange), Float(config.layerNormEps))
        fullLayerLayerNorm = LayerNorm(path["full_layer_layer_norm"], size: h, eps: eps)
        selfAttention = SelfAttention(path["attention"], hidden: h, heads: config.numAttentionHeads,
                                      dropout: config.attentionProbsDropoutProb, std: config.initializerRange)
        dense = Linear(path["attention"]["dense"], inFeatures: h, outFeatures: h, std: std)
        layerNorm = LayerNorm(path["attention"]["LayerNorm"], size: h, eps: eps)
        outputDropout = Dropout(probability: Float(config.hiddenDropoutProb))
        ffn = Linear(path["ffn"], inFeatures: h, outFeatures: config.intermediateSize, std: std)
        ffnOutput = Linear(path["ffn_output"], inFeatures: config.intermediateSize, outFeatures: h, std: std)
        activation = config.hiddenAct
    }

    public func callAsFunction(_ x: Tensor, mask: AttentionMask, _ context: ForwardContext) -> (output: Tensor, probabilities: Tensor) {
        let (heads, probabilities) = selfAttention(x, mask: mask, context)
        let attended = layerNorm(dense, heads, dropout: outputDropout, residual: x, context)
        return (fullLayerLayerNorm(ffnOutput, activation(ffn, attended, context), residual: attended, context), probabilities)
    }
}
