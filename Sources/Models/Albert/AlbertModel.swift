// Mirrors transformers' AlbertModel: factorized embeddings, the shared-layer encoder and an optional
// pooler (`pooler`, a Linear, + tanh on the first token).
import Checkpoints
import Foundation
import Layers
import Tensor

/// An ALBERT encoder whose parameters carry the checkpoint's own key names.
///
/// Embeddings are `embedding_size` wide (BERT's embeddings at that width: word, position and token
/// type, LayerNorm, dropout) and mapped to `hidden_size` by `encoder.embedding_hidden_mapping_in`.
/// The `num_hidden_layers` layer applications share the parameters of `num_hidden_groups` groups, so
/// the model is much smaller than a BERT of the same shape.
///
/// ```swift
/// let model = try AlbertModel.load("albert/albert-base-v2")
/// let output = try model(EncoderInput(inputIds: IDTensor([2, 10975, 3])))
/// output.lastHiddenState.shape  // [1, 3, 768]
/// ```
public final class AlbertModel {
    public let config: AlbertConfig
    /// Every parameter, named as in the checkpoint (with `path`'s prefix, if any).
    public let store: ParameterStore
    /// Where this model sits in its store's weight tree ("" alone, "albert." under a task head).
    public let prefix: String
    /// `embeddings`: transformers' AlbertEmbeddings, which is BERT's embeddings at `embedding_size`.
    public let embeddings: BertEmbeddings
    public let encoder: AlbertTransformer
    /// `pooler`: dense on the first token, followed by tanh.
    public let pooler: Linear?

    /// The key prefix of this family's weights under a task head (`AlbertForSequenceClassification`).
    public static let checkpointPrefix = "albert."

    /// Builds a randomly initialised model (transformers' initializer) under `path`.
    ///
    /// - Parameters:
    ///   - layers: run only the first `layers` layer applications (extract layers); all when nil.
    ///     The groups they run are kept whole, since their parameters are shared.
    ///   - pooler: whether to build the pooler.
    public init(config: AlbertConfig, path: WeightPath, layers: Int? = nil, pooler: Bool = true) {
        self.config = config
        store = path.store
        prefix = path.segments.isEmpty ? "" : path.name + "."
        var embeddingConfig = config.base
        embeddingConfig.hiddenSize = config.embeddingSize
        embeddings = BertEmbeddings(path["embeddings"], config: embeddingConfig)
        let count = keptLayerCount(layers, of: config.numHiddenLayers)
        encoder = AlbertTransformer(path["encoder"], config: config, count: count)
        self.pooler = pooler
            ? Linear(path["pooler"], inFeatures: config.hiddenSize, outFeatures: config.hiddenSize, std: Float(config.initializerRange))
            : nil
    }

    /// Builds a randomly initialised model in a store of its own.
    public convenience init(config: AlbertConfig, layers: Int? = nil, pooler: Bool = true, seed: UInt64 = 0) {
        self.init(config: config, path: ParameterStore(seed: seed).root, layers: layers, pooler: pooler)
    }

    /// Builds the model `config` describes and fills it from `weights` (keys with or without
    /// `albert.`); the pooler is built when the checkpoint has one.
    public static func load(config: AlbertConfig, weights: any WeightSource, layers: Int?) throws -> AlbertModel {
        let prefixes = ["", checkpointPrefix]
        let hasPooler = weights.contains("pooler.weight", underAnyOf: prefixes)
        return try ParameterStore.loading(weights, keyPrefixes: prefixes) {
            AlbertModel(config: config, path: $0, layers: layers, pooler: hasPooler)
        }
    }

    /// Runs the encoder.
    ///
    /// Hidden states are the mapped embeddings and the output of each layer application (one per
    /// `num_hidden_layers`); attentions come one per inner layer run.
    ///
    /// - Throws: ``ModelError`` when a sequence is longer than `max_position_embeddings`, or an id
    ///   is outside the vocabulary.
    public func callAsFunction(
        _ input: EncoderInput, outputHiddenStates: Bool = false, outputAttentions: Bool = false, upToLayer: Int? = nil
    ) throws(ModelError) -> EncoderOutput {
        try input.validate(vocabularySize: config.vocabSize, typeVocabularySize: config.typeVocabSize,
                           maximumLength: config.maxPositionEmbeddings)
        let last = upToLayer ?? encoder.layerCount
        guard last >= 0 && last <= encoder.layerCount else {
            throw .noSuchLayer(requested: last, available: encoder.layerCount)
        }
        let encoder = encoder
        let (hidden, hiddenStates, attentions) = runLayers(
            encoder.embeddingHiddenMappingIn(embeddings(input)), input: input, count: last, training: store.training,
            outputHiddenStates: outputHiddenStates, outputAttentions: outputAttentions
        ) { l, hidden, mask in
            encoder.group(forLayer: l)(hidden, mask: mask)
        }
        let pooled = last == encoder.layerCount
            ? pooler.map { $0(hidden.sliced(axis: 1, 0..<1).reshaped([hidden.shape[0], hidden.shape[2]])).tanh() } : nil
        return EncoderOutput(lastHiddenState: hidden, poolerOutput: pooled, hiddenStates: hiddenStates, attentions: attentions)
    }
}

extension AlbertModel: PretrainedEncoder {
    public var hiddenSize: Int { config.hiddenSize }
    /// The number of layer applications kept; their parameters are shared within each group.
    public var layerCount: Int { encoder.layerCount }
    public var maxPositionEmbeddings: Int { config.maxPositionEmbeddings }
    public var hasPooler: Bool { pooler != nil }
    /// Embeddings, the mapping to `hidden_size`, each group kept (once, however many layers share
    /// it) and the pooler.
    public var blocks: [(prefix: String, type: String)] {
        [(prefix + "embeddings.", "AlbertEmbeddings"), (prefix + "encoder.embedding_hidden_mapping_in.", "Linear")]
            + encoder.albertLayerGroups.indices.map { (prefix + "encoder.albert_layer_groups.\($0).", "AlbertLayerGroup") }
            + (pooler == nil ? [] : [(prefix + "pooler.", "Linear + Tanh")])
    }

    /// The embeddings, their mapping to `hidden_size`, and the layer groups that the lowest
    /// `layers` layer applications run. Layers share their group's parameters, so freezing one
    /// layer of a group freezes every layer that runs it.
    public func prefixes(ofLowestLayers layers: Int) -> [String] {
        let groups = Set((0..<min(layers, encoder.layerCount)).map { config.groupIndex(ofLayer: $0) })
        return [prefix + "embeddings.", prefix + "encoder.embedding_hidden_mapping_in."]
            + groups.sorted().map { prefix + "encoder.albert_layer_groups.\($0)." }
    }
}
