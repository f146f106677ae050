// Mirrors transformers' DistilBertModel: embeddings (no token types) and `transformer.layer.N`; no pooler.
import Checkpoints
import Foundation
import Layers
import Tensor

/// A DistilBERT encoder whose parameters carry the checkpoint's own key names.
///
/// Token type ids are ignored, as transformers' DistilBertModel takes none. There is no pooler:
/// `DistilBertForSequenceClassification` reads the first token through `pre_classifier` + ReLU.
///
/// ```swift
/// let model = try DistilBertModel.load("distilbert/distilbert-base-uncased")
/// let output = try model(EncoderInput(inputIds: IDTensor([101, 7592, 102])))
/// output.lastHiddenState.shape  // [1, 3, 768]
/// ```
public final class DistilBertModel {
    public let config: DistilBertConfig
    /// Every parameter, named as in the checkpoint (with `path`'s prefix, if any).
    public let store: ParameterStore
    /// Where this model sits in its store's weight tree ("" alone, "distilbert." under a task head).
    public let prefix: String
    public let embeddings: DistilBertEmbeddings
    public let transformer: DistilBertTransformer

    /// The key prefix of this family's weights under a task head (`DistilBertForSequenceClassification`).
    public static let checkpointPrefix = "distilbert."

    /// Builds a randomly initialised model (transformers' initializer) under `path`.
    ///
    /// - Parameter layers: keep only the first `layers` blocks (extract layers); all when nil.
    public init(config: DistilBertConfig, path: WeightPath, layers: Int? = nil) {
        self.config = config
        store = path.store
        prefix = path.segments.isEmpty ? "" : path.name + "."
        embeddings = DistilBertEmbeddings(path["embeddings"], config: config)
        transformer = DistilBertTransformer(path["transformer"], config: config,
                                            count: keptLayerCount(layers, of: config.nLayers))
    }

    /// Builds a randomly initialised model in a store of its own.
    public convenience init(config: DistilBertConfig, layers: Int? = nil, seed: UInt64 = 0) {
        self.init(config: config, path: ParameterStore(seed: seed).root, layers: layers)
    }

    /// Builds the model `config` describes and fills it from `weights` (keys with or without
    /// `distilbert.`).
    public static func load(config: DistilBertConfig, weights: any WeightSource, layers: Int?) throws -> DistilBertModel {
        try ParameterStore.loading(weights, keyPrefixes: ["", checkpointPrefix]) {
            DistilBertModel(config: config, path: $0, layers: layers)
        }
    }

    /// Runs the encoder; `input.tokenTypeIds` is not read.
    ///
    /// - Throws: ``ModelError`` when a sequence is longer than `max_position_embeddings`, or an id
    ///   is outside the vocabulary.
    public func callAsFunction(
        _ input: EncoderInput, outputHiddenStates: Bool = false, outputAttentions: Bool = false, upToLayer: Int? = nil
    ) throws(ModelError) -> EncoderOutput {
        try input.validate(vocabularySize: config.vocabSize, typeVocabularySize: nil,
                           maximumLength: config.maxPositionEmbeddings)
        let count = transformer.layers.count
        let last = upToLayer ?? count
        guard last >= 0 && last <= count else { throw .noSuchLayer(requested: last, available: count) }
        let layers = transformer.layers
        let (hidden, hiddenStates, attentions) = runLayers(
            embeddings(input.inputIds), input: input, count: last, training: store.training, outputHiddenStates: outputHiddenStates,
            outputAttentions: outputAttentions
        ) { l, hidden, mask in
            let (output, probabilities) = layers[l](hidden, mask: mask)
            return (output, [probabilities])
        }
        return EncoderOutput(lastHiddenState: hidden, poolerOutput: nil, hiddenStates: hiddenStates, attentions: attentions)
    }
}

extension DistilBertModel: PretrainedEncoder {
    public var hiddenSize: Int { config.dim }
    public var layerCount: Int { transformer.layers.count }
    public var maxPositionEmbeddings: Int { config.maxPositionEmbeddings }
    public var hasPooler: Bool { false }
    public var blocks: [(prefix: String, type: String)] {
        [(prefix + "embeddings.", "Embeddings")]
            + transformer.layers.indices.map { (prefix + "transformer.layer.\($0).", "TransformerBlock") }
    }
}
