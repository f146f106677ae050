// Mirrors transformers' `DistilBertConfig` (models/distilbert/configuration_distilbert.py): same fields,
// same defaults.
import Checkpoints
import Foundation

/// The hyperparameters of a DistilBERT model, as in its `config.json`.
///
/// DistilBERT names its fields its own way (`dim`, `n_layers`, `n_heads`, `hidden_dim`, `activation`);
/// ``hiddenSize``, ``numHiddenLayers`` and ``numAttentionHeads`` are transformers' aliases for them.
/// It has no token types, and its LayerNorm epsilon is fixed at 1e-12. Fields this type does not
/// model are kept in ``otherFields`` and written back by ``write(to:)``.
public struct DistilBertConfig: Sendable, Equatable {
    public var vocabSize: Int
    public var maxPositionEmbeddings: Int
    /// Fixed sine/cosine position embeddings instead of learned ones.
    public var sinusoidalPosEmbds: Bool
    public var nLayers: Int
    public var nHeads: Int
    /// The hidden width (`hidden_size` elsewhere).
    public var dim: Int
    /// The feed-forward width (`intermediate_size` elsewhere).
    public var hiddenDim: Int
    /// Dropout on embeddings and feed-forward outputs.
    public var dropout: Double
    /// Dropout on attention probabilities.
    public var attentionDropout: Double
    /// The feed-forward activation (`hidden_act` elsewhere).
    public var activation: Activation
    public var initializerRange: Double
    /// Dropout before `DistilBertForQuestionAnswering`'s `qa_outputs`.
    public var qaDropout: Double
    /// Dropout before `DistilBertForSequenceClassification`'s `classifier`.
    public var seqClassifDropout: Double
    /// The padding token's id; `nil` when the config says `null`.
    public var padTokenId: Int?
    /// `"distilbert"`.
    public var modelType: String
    /// The transformers classes the weights belong to, such as `["DistilBertForMaskedLM"]`.
    public var architectures: [String]?
    /// Fields not modeled above (such as `id2label` or `transformers_version`), written back unchanged.
    public var otherFields: [String: JSONValue]

    /// DistilBERT's LayerNorm epsilon, fixed in transformers' code rather than configured.
    public static let layerNormEps = 1e-12

    /// A config with transformers' defaults (distilbert-base), changed by the arguments given.
    public init(
        vocabSize: Int = 30522,
        maxPositionEmbeddings: Int = 512,
        sinusoidalPosEmbds: Bool = false,
        nLayers: Int = 6,
        nHeads: Int = 12,
        dim: Int = 768,
        hiddenDim: Int = 4 * 768,
        dropout: Double = 0.1,
        attentionDropout: Double = 0.1,
        activation: Activation = .gelu,
        initializerRange: Double = 0.02,
        qaDropout: Double = 0.1,
        seqClassifDropout: Double = 0.2,
        padTokenId: Int? = 0,
        modelType: String = "distilbert",
        architectures: [String]? = nil,
        otherFields: [String: JSONValue] = [:]
    ) {
        self.vocabSize = vocabSize
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.sinusoidalPosEmbds = sinusoidalPosEmbds
        self.nLayers = nLayers
        self.nHeads = nHeads
        self.dim = dim
        self.hiddenDim = hiddenDim
        self.dropout = dropout
        self.attentionDropout = attentionDropout
        self.activation = activation
        self.initializerRange = initializerRange
        self.qaDropout = qaDropout
        self.seqClassifDropout = seqClassifDropout
        self.padTokenId = padTokenId
        self.modelType = modelType
        self.architectures = architectures
        self.otherFields = otherFields
    }

    /// Reads and validates the fields of `json`, with transformers' defaults for absent ones.
    public init(json: JSONConfig) throws(CheckpointError) {
        let defaults = DistilBertConfig()
        let act = try json.activation("activation", default: defaults.activation)
        self.init(
            vocabSize: try json.int("vocab_size", default: defaults.vocabSize),
            maxPositionEmbeddings: try json.int("max_position_embeddings", default: defaults.maxPositionEmbeddings),
            sinusoidalPosEmbds: try json.bool("sinusoidal_pos_embds", default: defaults.sinusoidalPosEmbds),
            nLayers: try json.int("n_layers", default: defaults.nLayers),
            nHeads: try json.int("n_heads", default: defaults.nHeads),
            dim: try json.int("dim", default: defaults.dim),
            hiddenDim: try json.int("hidden_dim", default: defaults.hiddenDim),
            dropout: try json.double("dropout", default: defaults.dropout),
            attentionDropout: try json.double("attention_dropout", default: defaults.attentionDropout),
            activation: act,
            initializerRange: try json.double("initializer_range", default: defaults.initializerRange),
            qaDropout: try json.double("qa_dropout", default: defaults.qaDropout),
            seqClassifDropout: try json.double("seq_classif_dropout", default: defaults.seqClassifDropout),
            padTokenId: json.values.keys.contains("pad_token_id") ? try json.intIfPresent("pad_token_id") : defaults.padTokenId,
            modelType: try json.string("model_type", default: defaults.modelType),
            architectures: try json.stringsIfPresent("architectures"),
            otherFields: json.values.filter { !Self.modeledKeys.contains($0.key) }
        )
        try validate(file: json.file)
    }

    /// `dim`, by transformers' alias.
    public var hiddenSize: Int { dim }
    /// `n_layers`, by transformers' alias.
    public var numHiddenLayers: Int { nLayers }
    /// `n_heads`, by transformers' alias.
    public var numAttentionHeads: Int { nHeads }

    /// Checks the values the model code relies on; errors name `file` and the offending key.
    public func validate(file: URL? = nil) throws(CheckpointError) {
        func fail(_ key: String, _ text: String) -> CheckpointError {
            CheckpointError(file: file, key: key, .invalidValue(text))
        }
        try checkModelType(modelType, name: "a DistilBERT", file: file)
        let positive: [(String, Int)] = [
            ("vocab_size", vocabSize), ("max_position_embeddings", maxPositionEmbeddings), ("n_layers", nLayers),
            ("n_heads", nHeads), ("dim", dim), ("hidden_dim", hiddenDim),
        ]
        try ConfigLimits.check(positive, file: file)
        guard dim % nHeads == 0 else {
            throw fail("dim", "\(dim) is not a multiple of n_heads (\(nHeads))")
        }
        try ConfigLimits.checkProbabilities([
            ("dropout", dropout), ("attention_dropout", attentionDropout), ("qa_dropout", qaDropout),
            ("seq_classif_dropout", seqClassifDropout),
        ], file: file)
        try ConfigLimits.checkInitialization(range: initializerRange, padTokenId: padTokenId, vocabSize: vocabSize, file: file)
    }

    /// The config as a JSON object with transformers' field names.
    public func jsonObject() -> [String: JSONValue] {
        var object = otherFields
        object["vocab_size"] = .int(vocabSize)
        object["max_position_embeddings"] = .int(maxPositionEmbeddings)
        object["sinusoidal_pos_embds"] = .bool(sinusoidalPosEmbds)
        object["n_layers"] = .int(nLayers)
        object["n_heads"] = .int(nHeads)
        object["dim"] = .int(dim)
        object["hidden_dim"] = .int(hiddenDim)
        object["dropout"] = .double(dropout)
        object["attention_dropout"] = .double(attentionDropout)
        object["activation"] = .string(activation.rawValue)
        object["initializer_range"] = .double(initializerRange)
        object["qa_dropout"] = .double(qaDropout)
        object["seq_classif_dropout"] = .double(seqClassifDropout)
        object["pad_token_id"] = padTokenId.map(JSONValue.int) ?? .null
        object["model_type"] = .string(modelType)
        object["architectures"] = architectures.map { .array($0.map(JSONValue.string)) }
        return object
    }

    private static let modeledKeys: Set<String> = [
        "vocab_size", "max_position_embeddings", "sinusoidal_pos_embds", "n_layers", "n_heads", "dim", "hidden_dim",
        "dropout", "attention_dropout", "activation", "initializer_range", "qa_dropout", "seq_classif_dropout",
        "pad_token_id", "model_type", "architectures",
    ]
}
