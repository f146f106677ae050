// Mirrors transformers' AlbertAttention, AlbertLayer, AlbertLayerGroup and AlbertTransformer.
import Checkpoints
import Layers
import Tensor

/// `attention`: query, key and value projections, multi-head attention, then `dense`, dropout and
/// `LayerNorm` over the residual sum, all in one module (BERT splits them into `self` and `output`).
public final class AlbertAttention {
    public let query: Linear
    public let key: Linear
    public let value: Linear
    public let dense: Linear
    public let layerNorm: LayerNorm
    public let heads: Int
    let attentionDropout: Float
    let outputDropout: Dropout
    let store: ParameterStore

    public init(_ path: WeightPath, config: AlbertConfig) {
        let (h, std) = (config.hiddenSize, Float(config.initializerRange))
        query = Linear(path["query"], inFeatures: h, outFeatures: h, std: std)
        key = Linear(path["key"], inFeatures: h, outFeatures: h, std: std)
        value = Linear(path["value"], inFeatures: h, outFeatures: h, std: std)
        dense = Linear(path["dense"], inFeatures: h, outFeatures: h, std: std)
        layerNorm = LayerNorm(path["LayerNorm"], size: h, eps: Float(config.layerNormEps))
        heads = config.numAttentionHeads
        attentionDropout = Float(config.attentionProbsDropoutProb)
        outputDropout = Dropout(path, probability: Float(config.hiddenDropoutProb))
        store = path.store
    }

    /// `[batch, seq, hidden]` → the same shape, and the attention probabilities `[batch, heads, seq, seq]`.
    public func callAsFunction(_ x: Tensor, mask: AttentionMask) -> (output: Tensor, probabilities: Tensor) {
        let (context, probabilities) = Tensor.attention(
            query: query(x), key: key(x), value: value(x), layout: mask, heads: heads,
            dropout: attentionDropout, training: store.training, generator: &store.generator)
        return (layerNorm(dense, context, dropout: outputDropout, residual: x), probabilities)
    }
}

/// One transformer block: attention, then `ffn` → `hidden_act` → `ffn_output` and
/// `full_layer_layer_norm` over the residual sum (transformers applies no dropout after `ffn_output`).
public final class AlbertLayer {
    public let attention: AlbertAttention
    public let ffn: Linear
    public let ffnOutput: Linear
    public let fullLayerLayerNorm: LayerNorm
    public let activation: Activation

    public init(_ path: WeightPath, config: AlbertConfig) {
        let std = Float(config.initializerRange)
        fullLayerLayerNorm = LayerNorm(path["full_layer_layer_norm"], size: config.hiddenSize, eps: Float(config.layerNormEps))
        attention = AlbertAttention(path["attention"], config: config)
        ffn = Linear(path["ffn"], inFeatures: config.hiddenSize, outFeatures: config.intermediateSize, std: std)
        ffnOutput = Linear(path["ffn_output"], inFeatures: config.intermediateSize, outFeatures: config.hiddenSize, std: std)
        activation = config.hiddenAct
    }

    public func callAsFunction(_ x: Tensor, mask: AttentionMask) -> (output: Tensor, probabilities: Tensor) {
        let (attended, probabilities) = attention(x, mask: mask)
        return (fullLayerLayerNorm(ffnOutput, activation(ffn, attended), residual: attended), probabilities)
    }
}

/// `albert_layer_groups.{g}`: `inner_group_num` layers applied one after the other. A group's
/// parameters are shared by every layer application that runs it.
public final class AlbertLayerGroup {
    public let albertLayers: [AlbertLayer]

    public init(_ path: WeightPath, config: AlbertConfig) {
        albertLayers = (0..<config.innerGroupNum).map { AlbertLayer(path["albert_layers"][$0], config: config) }
    }

    /// Runs the inner layers; returns the output and each inner layer's attention probabilities.
    public func callAsFunction(_ x: Tensor, mask: AttentionMask) -> (output: Tensor, probabilities: [Tensor]) {
        var hidden = x
        var probabilities: [Tensor] = []
        for layer in albertLayers {
            let (output, p) = layer(hidden, mask: mask)
            hidden = output
            probabilities.append(p)
        }
        return (hidden, probabilities)
    }
}

/// `encoder`: `embedding_hidden_mapping_in` (embedding_size → hidden_size), then
/// `num_hidden_layers` applications of the shared layer groups.
public final class AlbertTransformer {
    public let embeddingHiddenMappingIn: Linear
    /// The groups the kept layer applications run (all of them unless layers were dropped).
    public let albertLayerGroups: [AlbertLayerGroup]
    /// The number of layer applications kept (extract layers keeps the first K).
    public let layerCount: Int
    let config: AlbertConfig

    /// Builds the mapping and the groups that the first `count` layer applications run.
    public init(_ path: WeightPath, config: AlbertConfig, count: Int) {
        self.config = config
        layerCount = count
        embeddingHiddenMappingIn = Linear(path["embedding_hidden_mapping_in"], inFeatures: config.embeddingSize,
                                          outFeatures: config.hiddenSize, std: Float(config.initializerRange))
        let groups = count == 0 ? 0 : min(config.groupIndex(ofLayer: count - 1) + 1, config.numHiddenGroups)
        albertLayerGroups = (0..<groups).map { AlbertLayerGroup(path["albert_layer_groups"][$0], config: config) }
    }

    /// The group that layer application `layer` runs.
    public func group(forLayer layer: Int) -> AlbertLayerGroup {
        albertLayerGroups[config.groupIndex(ofLayer: layer)]
    }
}
