// Mirrors transformers' RobertaModel and XLMRobertaModel: RobertaEmbeddings, BERT's encoder
// (encoder.layer.N) and an optional pooler (pooler.dense + tanh on <s>).
import Checkpoints
import Foundation
import Layers
import Tensor

/// A RoBERTa or XLM-RoBERTa encoder whose parameters carry the checkpoint's own key names.
///
/// The layers and the pooler are BERT's (``BertLayer``, ``BertPooler``); only the position ids
/// differ (see ``RobertaEmbeddings``), so inputs may hold at most
/// ``RobertaConfig/maxSequenceLength`` tokens (512 for `max_position_embeddings` 514). Padding must
/// use `pad_token_id` (1), which is how positions find it.
///
/// ```swift
/// let model = try RobertaModel.load("FacebookAI/roberta-base")
/// let output = try model(EncoderInput(sequences: [[0, 31414, 2]], padId: 1))
/// output.lastHiddenState.shape  // [1, 3, 768]
/// ```
public final class RobertaModel {
    public let config: RobertaConfig
    /// Every parameter, named as in the checkpoint (with `path`'s prefix, if any).
    public let store: ParameterStore
    /// Where this model sits in its store's weight tree ("" alone, "roberta." under a task head).
    public let prefix: String
    public let embeddings: RobertaEmbeddings
    /// `encoder.layer.N`: BERT's layers (transformers' RobertaLayer is BertLayer).
    public let encoder: BertEncoder
    /// `pooler.dense` + tanh on the first token (transformers' RobertaPooler is BertPooler).
    public let pooler: BertPooler?

    /// The key prefix of this family's weights under a task head (`RobertaForSequenceClassification`,
    /// and `XLMRobertaFor…` too).
    public static let checkpointPrefix = "roberta."

    /// Builds a randomly initialised model (transformers' initializer) under `path`.
    ///
    /// - Parameters:
    ///   - layers: keep only the first `layers` encoder layers (extract layers); all when nil.
    ///   - pooler: whether to build the pooler.
    public init(config: RobertaConfig, path: WeightPath, layers: Int? = nil, pooler: Bool = true) {
        self.config = config
        store = path.store
        prefix = path.segments.isEmpty ? "" : path.name + "."
        embeddings = RobertaEmbeddings(path["embeddings"], config: config)
        encoder = BertEncoder(path["encoder"], config: config.base,
                              count: keptLayerCount(layers, of: config.numHiddenLayers))
        self.pooler = pooler ? BertPooler(path["pooler"], config: config.base) : nil
    }

    /// Builds a randomly initialised model in a store of its own.
    public convenience init(config: RobertaConfig, layers: Int? = nil, pooler: Bool = true, seed: UInt64 = 0) {
        self.init(config: config, path: ParameterStore(seed: seed).root, layers: layers, pooler: pooler)
    }

    /// Builds the model `config` describes and fills it from `weights` (keys with or without
    /// `roberta.`); the pooler is built when the checkpoint has one.
    public static func load(config: RobertaConfig, weights: any WeightSource, layers: Int?) throws -> RobertaModel {
        let prefixes = ["", checkpointPrefix]
        let hasPooler = weights.contains("pooler.dense.weight", underAnyOf: prefixes)
        return try ParameterStore.loading(weights, keyPrefixes: prefixes) {
            RobertaModel(config: config, path: $0, layers: layers, pooler: hasPooler)
        }
    }

    /// Runs the encoder.
    ///
    /// - Throws: ``ModelError`` when a sequence is longer than ``RobertaConfig/maxSequenceLength``,
    ///   or an id is outside the vocabulary or `type_vocab_size` (1: all token type ids must be 0).
    public func callAsFunction(
        _ input: EncoderInput, outputHiddenStates: Bool = false, outputAttentions: Bool = false, upToLayer: Int? = nil
    ) throws(ModelError) -> EncoderOutput {
        try input.validate(vocabularySize: config.vocabSize, typeVocabularySize: config.typeVocabSize,
                           maximumLength: config.maxSequenceLength)
        let count = encoder.layers.count
        let last = upToLayer ?? count
        guard last >= 0 && last <= count else { throw .noSuchLayer(requested: last, available: count) }
        let layers = encoder.layers
        let (hidden, hiddenStates, attentions) = runLayers(
            embeddings(input), input: input, count: last, training: store.training, outputHiddenStates: outputHiddenStates,
            outputAttentions: outputAttentions
        ) { l, hidden, mask in
            let (output, probabilities) = layers[l](hidden, mask: mask)
            return (output, [probabilities])
        }
        let pooled = last == count ? pooler?(hidden) : nil
        return EncoderOutput(lastHiddenState: hidden, poolerOutput: pooled, hiddenStates: hiddenStates, attentions: attentions)
    }
}

extension RobertaModel: PretrainedEncoder {
    public var hiddenSize: Int { config.hiddenSize }
    public var layerCount: Int { encoder.layers.count }
    /// The longest input, ``RobertaConfig/maxSequenceLength`` (`max_position_embeddings` − `pad_token_id` − 1).
    public var maxPositionEmbeddings: Int { config.maxSequenceLength }
    public var hasPooler: Bool { pooler != nil }
    public var blocks: [(prefix: String, type: String)] {
        let family = config.modelType == "xlm-roberta" ? "XLMRoberta" : "Roberta"
        return [(prefix + "embeddings.", family + "Embeddings")]
            + encoder.layers.indices.map { (prefix + "encoder.layer.\($0).", family + "Layer") }
            + (pooler == nil ? [] : [(prefix + "pooler.", family + "Pooler")])
    }
}
