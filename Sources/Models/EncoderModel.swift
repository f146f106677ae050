import Checkpoints
import Foundation
import Layers
import Tensor

/// Any supported encoder: the one skeleton every family runs in. A family supplies its parts
/// (``EncoderFamilyConfig/makeParts(path:layers:pooler:)``: embeddings, layers, pooler); input
/// checks, the layer loop (padded or packed, split between cores), the outputs and loading are
/// written here once.
///
/// ```swift
/// let model = try EncoderModel.load("sentence-transformers/all-MiniLM-L6-v2")
/// let output = try model(EncoderInput(inputIds: IDTensor([101, 7592, 102])), context: .inference)
/// output.lastHiddenState.shape  // [1, 3, 384]
/// ```
public final class EncoderModel {
    public let config: EncoderConfig
    /// Every parameter, named as in the checkpoint (with ``prefix`` in front under a task head).
    public let store: ParameterStore
    /// Where the encoder sits in its store's weight tree: "" alone, "bert." under a BERT head.
    public let prefix: String
    /// What the family built: embeddings, layers, pooler, the summary's blocks.
    let parts: EncoderParts
    public var embeddings: any EncoderEmbeddings { parts.embeddings }
    /// One entry per layer application (ALBERT's share their group's module).
    public var layers: [any EncoderLayer] { parts.layers }
    /// Dense + tanh on the first token, when the model has one.
    public var pooler: Linear? { parts.pooler }

    /// Builds a randomly initialised model (the family's initializer) under `path`.
    ///
    /// - Parameters:
    ///   - layers: keep only the first `layers` layers (extract layers); all when nil.
    ///   - pooler: whether to build the pooler; ignored by families without one.
    public init(config: EncoderConfig, path: WeightPath, layers: Int? = nil, pooler: Bool = true) {
        self.config = config
        store = path.store
        prefix = path.segments.isEmpty ? "" : path.name + "."
        let count = min(max(layers ?? config.numHiddenLayers, 0), config.numHiddenLayers)
        parts = config.family.makeParts(path: path, layers: count, pooler: pooler && config.supportsPooler)
    }

    /// Builds a randomly initialised model in a store of its own.
    public convenience init(_ family: some EncoderFamilyConfig, layers: Int? = nil, pooler: Bool = true, seed: UInt64 = 0) {
        self.init(config: EncoderConfig(family), path: ParameterStore(seed: seed).root, layers: layers, pooler: pooler)
    }

    /// Loads a model folder (`config.json` + `model.safetensors` or `pytorch_model.bin`) or a Hugging
    /// Face id from the local cache, choosing the family by `model_type` (transformers' AutoModel).
    /// No network is used.
    ///
    /// - Parameter layers: keep only the first `layers` layers (extract layers); all when nil.
    /// - Throws: ``ModelError/unsupportedModelType(_:supported:)``, or a `CheckpointError` naming
    ///   the file and key (a missing weight, a bad config field).
    public static func load(_ idOrPath: String, revision: String? = nil, layers: Int? = nil) throws -> EncoderModel {
        try load(folder: ModelLocation.resolve(idOrPath, revision: revision), layers: layers)
    }

    /// Loads a model folder; see ``load(_:revision:layers:)``.
    public static func load(folder: URL, layers: Int? = nil) throws -> EncoderModel {
        let config = try EncoderConfig(contentsOf: folder.appending(path: "config.json"))
        return try load(config: config, weights: Checkpoint.open(folder), layers: layers)
    }

    /// Builds the model `config` describes and fills it from `weights`, whose keys may carry the
    /// family's base-model prefix (`bert.` under `BertForSequenceClassification`). The pooler is
    /// built when the checkpoint has one. No weight is allocated before the checkpoint confirms
    /// its shape, and none is drawn at random.
    public static func load(config: EncoderConfig, weights: any WeightSource, layers: Int? = nil) throws -> EncoderModel {
        let prefixes = ["", config.baseModelPrefix + "."]
        let pooler = config.traits.poolerWeight.map { weights.contains($0, underAnyOf: prefixes) } ?? false
        let store = ParameterStore()
        store.defersInitialization = true
        store.allocateOnlyWhatMatches(weights, under: "", keyPrefixes: prefixes)
        let model = EncoderModel(config: config, path: store.root, layers: layers, pooler: pooler)
        try store.load(from: weights, keyPrefixes: prefixes)
        store.initializePending()
        return model
    }

    public var hiddenSize: Int { config.hiddenSize }
    /// The number of layers built (extract layers builds fewer than the checkpoint has).
    public var layerCount: Int { layers.count }
    /// The most tokens an input may have.
    public var maxPositionEmbeddings: Int { config.maxSequenceLength }
    public var hasPooler: Bool { pooler != nil }
    /// The number of hidden states: the embeddings output plus one per layer.
    public var hiddenStateCount: Int { layers.count + 1 }

    /// The summary's blocks, in order: each one's parameter-name prefix and type name.
    public var blocks: [(prefix: String, type: String)] {
        parts.blocks.map { (prefix + $0.prefix, $0.type) }
    }

    /// The parameter-name prefixes that hold the embeddings and the lowest `layers` layers: what
    /// "freeze the lowest N layers" freezes.
    public func prefixes(ofLowestLayers layers: Int) -> [String] {
        guard let lowest = parts.lowestLayers else { return blocks.prefix(layers + 1).map(\.prefix) }
        return lowest(min(layers, self.layers.count)).map { prefix + $0 }
    }

    /// Runs the encoder on `input` in `context` (which says whether dropout is on, whether the
    /// tape records, the precision, and which extra outputs to return).
    ///
    /// - Parameter upToLayer: stop after this many layers (no pooler output then); all when nil.
    /// - Throws: ``ModelError`` when a sequence is longer than the model takes, an id is outside
    ///   the vocabulary, or `upToLayer` is out of range.
    public func callAsFunction(_ input: EncoderInput, context: ForwardContext, upToLayer: Int? = nil) throws(ModelError) -> EncoderOutput {
        let traits = config.traits
        try input.validate(vocabularySize: traits.vocabularySize, typeVocabularySize: traits.typeVocabularySize,
                           maximumLength: traits.maxSequenceLength)
        let last = upToLayer ?? layers.count
        guard last >= 0 && last <= layers.count else { throw .noSuchLayer(requested: last, available: layers.count) }
        return context.run {
            let (hidden, hiddenStates, attentions) = runLayers(
                embeddings(input, context), input: input, layers: Array(layers[..<last]), context: context)
            let pooled = last == layers.count ? pooler.map { $0(firstToken(hidden), context).tanh() } : nil
            return EncoderOutput(lastHiddenState: hidden, poolerOutput: pooled, hiddenStates: hiddenStates, attentions: attentions)
        }
    }

    /// Runs the encoder for inference, with no extra outputs.
    public func callAsFunction(_ input: EncoderInput) throws(ModelError) -> EncoderOutput {
        try self(input, context: .inference)
    }
}

/// `[batch, seq, hidden]` → the first token's vectors, `[batch, hidden]`.
func firstToken(_ hidden: Tensor) -> Tensor {
    hidden.sliced(axis: 1, 0..<1).reshaped([hidden.shape[0], hidden.shape[2]])
}

/// A family's embeddings: token ids to the first layer's input, `[batch, seq, hidden]`.
public protocol EncoderEmbeddings: AnyObject {
    func callAsFunction(_ input: EncoderInput, _ context: ForwardContext) -> Tensor
}

/// One layer application of a family: hidden states under an attention mask to the next hidden
/// states, with the attention probabilities of each attention it ran (one, or ALBERT's inner layers').
public protocol EncoderLayer: AnyObject {
    func callAsFunction(_ x: Tensor, mask: AttentionMask, _ context: ForwardContext) -> (output: Tensor, probabilities: [Tensor])
}

/// What a family builds for the skeleton to run; see ``EncoderFamilyConfig/makeParts(path:layers:pooler:)``.
public struct EncoderParts {
    public var embeddings: any EncoderEmbeddings
    public var layers: [any EncoderLayer]
    public var pooler: Linear?
    /// The summary's blocks, relative to the encoder's path: `("embeddings.", "BertEmbeddings")`.
    public var blocks: [(prefix: String, type: String)]
    /// The prefixes (relative) holding the embeddings and the lowest N layers, where they are not
    /// the first N + 1 ``blocks`` (ALBERT's shared groups).
    public var lowestLayers: ((Int) -> [String])?

    public init(embeddings: any EncoderEmbeddings, layers: [any EncoderLayer], pooler: Linear?,
                blocks: [(prefix: String, type: String)], lowestLayers: ((Int) -> [String])? = nil) {
        self.embeddings = embeddings
        self.layers = layers
        self.pooler = pooler
        self.blocks = blocks
        self.lowestLayers = lowestLayers
    }
}
