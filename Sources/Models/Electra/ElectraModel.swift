// Mirrors transformers' ElectraModel (the discriminator, or the generator, used as an encoder):
// embeddings at embedding_size, `embeddings_project` when that differs from hidden_size, then
// BERT's encoder (encoder.layer.N); no pooler.
import Checkpoints
import Foundation
import Layers
import Tensor

/// An ELECTRA encoder whose parameters carry the checkpoint's own key names.
///
/// transformers' ElectraEmbeddings is BERT's embeddings at `embedding_size`, and ElectraLayer is
/// BertLayer, so both are built from ``BertEmbeddings`` and ``BertEncoder``. There is no pooler:
/// `ElectraForSequenceClassification` reads the first token through `classifier.dense` + GELU.
///
/// ```swift
/// let model = try ElectraModel.load("google/electra-small-discriminator")
/// let output = try model(EncoderInput(inputIds: IDTensor([101, 7592, 102])))
/// output.lastHiddenState.shape  // [1, 3, 256]
/// ```
public final class ElectraModel {
    public let config: ElectraConfig
    /// Every parameter, named as in the checkpoint (with `path`'s prefix, if any).
    public let store: ParameterStore
    /// Where this model sits in its store's weight tree ("" alone, "electra." under a task head).
    public let prefix: String
    /// `embeddings`: word, position and token type embeddings `embedding_size` wide, LayerNorm, dropout.
    public let embeddings: BertEmbeddings
    /// `embeddings_project`: embedding_size → hidden_size, present only when they differ.
    public let embeddingsProject: Linear?
    /// `encoder.layer.N`: BERT's layers.
    public let encoder: BertEncoder

    /// The key prefix of this family's weights under a head (`ElectraForPreTraining`, `ElectraFor…`).
    public static let checkpointPrefix = "electra."

    /// Builds a randomly initialised model (transformers' initializer) under `path`.
    ///
    /// - Parameter layers: keep only the first `layers` encoder layers (extract layers); all when nil.
    public init(config: ElectraConfig, path: WeightPath, layers: Int? = nil) {
        self.config = config
        store = path.store
        prefix = path.segments.isEmpty ? "" : path.name + "."
        var embeddingConfig = config.base
        embeddingConfig.hiddenSize = config.embeddingSize
        embeddings = BertEmbeddings(path["embeddings"], config: embeddingConfig)
        embeddingsProject = config.projectsEmbeddings
            ? Linear(path["embeddings_project"], inFeatures: config.embeddingSize, outFeatures: config.hiddenSize,
                     std: Float(config.initializerRange))
            : nil
        encoder = BertEncoder(path["encoder"], config: config.base,
                              count: keptLayerCount(layers, of: config.numHiddenLayers))
    }

    /// Builds a randomly initialised model in a store of its own.
    public convenience init(config: ElectraConfig, layers: Int? = nil, seed: UInt64 = 0) {
        self.init(config: config, path: ParameterStore(seed: seed).root, layers: layers)
    }

    /// Builds the model `config` describes and fills it from `weights` (keys with or without
    /// `electra.`).
    public static func load(config: ElectraConfig, weights: any WeightSource, layers: Int?) throws -> ElectraModel {
        try ParameterStore.loading(weights, keyPrefixes: ["", checkpointPrefix]) {
            ElectraModel(config: config, path: $0, layers: layers)
        }
    }

    /// Runs the encoder. The first hidden state is the projected embeddings.
    ///
    /// - Throws: ``ModelError`` when a sequence is longer than `max_position_embeddings`, or an id
    ///   is outside the vocabulary.
    public func callAsFunction(
        _ input: EncoderInput, outputHiddenStates: Bool = false, outputAttentions: Bool = false, upToLayer: Int? = nil
    ) throws(ModelError) -> EncoderOutput {
        try input.validate(vocabularySize: config.vocabSize, typeVocabularySize: config.typeVocabSize,
                           maximumLength: config.maxPositionEmbeddings)
        let count = encoder.layers.count
        let last = upToLayer ?? count
        guard last >= 0 && last <= count else { throw .noSuchLayer(requested: last, available: count) }
        var embedded = embeddings(input)
        if let embeddingsProject { embedded = embeddingsProject(embedded) }
        let layers = encoder.layers
        let (hidden, hiddenStates, attentions) = runLayers(
            embedded, input: input, count: last, training: store.training, outputHiddenStates: outputHiddenStates,
            outputAttentions: outputAttentions
        ) { l, hidden, mask in
            let (output, probabilities) = layers[l](hidden, mask: mask)
            return (output, [probabilities])
        }
        return EncoderOutput(lastHiddenState: hidden, poolerOutput: nil, hiddenStates: hiddenStates, attentions: attentions)
    }
}

extension ElectraModel: PretrainedEncoder {
    public var hiddenSize: Int { config.hiddenSize }
    public var layerCount: Int { encoder.layers.count }
    public var maxPositionEmbeddings: Int { config.maxPositionEmbeddings }
    public var hasPooler: Bool { false }
    public var blocks: [(prefix: String, type: String)] {
        [(prefix + "embeddings.", "ElectraEmbeddings")]
            + (embeddingsProject == nil ? [] : [(prefix + "embeddings_project.", "Linear")])
            + encoder.layers.indices.map { (prefix + "encoder.layer.\($0).", "ElectraLayer") }
    }
}
