// Mirrors transformers' BertModel: embeddings, encoder (encoder.layer.N) and an optional pooler.
import Checkpoints
import Foundation
import Layers
import Tensor

/// A BERT encoder whose parameters carry the checkpoint's own key names.
///
/// ```swift
/// let model = try BertModel.load("sentence-transformers/all-MiniLM-L6-v2")
/// let output = try model(EncoderInput(inputIds: IDTensor([101, 7592, 102])))
/// output.lastHiddenState.shape  // [1, 3, 384]
/// ```
public final class BertModel {
    public let config: BertConfig
    /// Every parameter, named as in the checkpoint (with `path`'s prefix, if any).
    public let store: ParameterStore
    /// Where this model sits in its store's weight tree ("" alone, "bert." under a task head).
    public let prefix: String
    public let embeddings: BertEmbeddings
    public let encoder: BertEncoder
    public let pooler: BertPooler?

    /// Builds a randomly initialised model (BERT's initializer) under `path`.
    ///
    /// - Parameters:
    ///   - layers: keep only the first `layers` encoder layers (extract layers); all when nil.
    ///   - pooler: whether to build the pooler (dense + tanh on CLS).
    public init(config: BertConfig, path: WeightPath, layers: Int? = nil, pooler: Bool = true) {
        self.config = config
        store = path.store
        prefix = path.segments.isEmpty ? "" : path.name + "."
        embeddings = BertEmbeddings(path["embeddings"], config: config)
        encoder = BertEncoder(path["encoder"], config: config, count: keptLayerCount(layers, of: config.numHiddenLayers))
        self.pooler = pooler ? BertPooler(path["pooler"], config: config) : nil
    }

    /// Builds a randomly initialised model in a store of its own.
    public convenience init(config: BertConfig, layers: Int? = nil, pooler: Bool = true, seed: UInt64 = 0) {
        self.init(config: config, path: ParameterStore(seed: seed).root, layers: layers, pooler: pooler)
    }

    /// Builds the model `config` describes and fills it from `weights` (keys with or without
    /// `bert.`); the pooler is built when the checkpoint has one.
    public static func load(config: BertConfig, weights: any WeightSource, layers: Int?) throws -> BertModel {
        let prefixes = ["", "bert."]
        let hasPooler = weights.contains("pooler.dense.weight", underAnyOf: prefixes)
        return try ParameterStore.loading(weights, keyPrefixes: prefixes) {
            BertModel(config: config, path: $0, layers: layers, pooler: hasPooler)
        }
    }

    /// The number of hidden states: the embeddings output plus one per layer.
    public var hiddenStateCount: Int { encoder.layers.count + 1 }

    /// Runs the encoder.
    ///
    /// - Throws: ``ModelError`` when a sequence is longer than `max_position_embeddings`, or an id
    ///   is outside the vocabulary.
    public func callAsFunction(
        _ input: EncoderInput, outputHiddenStates: Bool = false, outputAttentions: Bool = false, upToLayer: Int? = nil
    ) throws(ModelError) -> EncoderOutput {
        try input.validate(vocabularySize: config.vocabSize, typeVocabularySize: config.typeVocabSize,
                           maximumLength: config.maxPositionEmbeddings)
        let last = upToLayer ?? encoder.layers.count
        guard last >= 0 && last <= encoder.layers.count else {
            throw .noSuchLayer(requested: last, available: encoder.layers.count)
        }
        let layers = encoder.layers
        let (hidden, hiddenStates, attentions) = runLayers(
            embeddings(input), input: input, count: last, training: store.training, outputHiddenStates: outputHiddenStates,
            outputAttentions: outputAttentions
        ) { l, hidden, mask in
            let (output, probabilities) = layers[l](hidden, mask: mask)
            return (output, [probabilities])
        }
        let pooled = last == encoder.layers.count ? pooler?(hidden) : nil
        return EncoderOutput(lastHiddenState: hidden, poolerOutput: pooled, hiddenStates: hiddenStates, attentions: attentions)
    }
}
