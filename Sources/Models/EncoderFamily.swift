import Checkpoints
import Foundation
import Layers

/// Everything BertKit knows of one encoder family, implemented by the family's config type in the
/// family's own folder (`Models/Bert/BertModel.swift`) and registered once in
/// ``EncoderConfig/families``: the `model_type` values and class names it reads, the parts it
/// builds (embeddings, layers, pooler) and the head transformers puts on it. ``EncoderModel``
/// runs and loads every family the same way.
///
/// Adding a family means adding its folder (config, embeddings, layer, conformance) and one entry
/// in ``EncoderConfig/families``; nothing else switches over families.
public protocol EncoderFamilyConfig: Sendable, Equatable {
    /// The `model_type` values this config type reads (`roberta` and `xlm-roberta` for RoBERTa).
    static var modelTypes: [String] { get }
    /// transformers class-name stems and the `model_type` each means, for a `config.json` without
    /// `model_type` (`XLMRoberta` → `xlm-roberta`, read from `architectures`).
    static var classNameStems: [String: String] { get }

    /// Reads the config from `config.json` values; `model_type` is one of ``modelTypes``.
    init(json: JSONConfig) throws(CheckpointError)
    /// Checks the values the model code relies on; errors name `file` and the offending key.
    func validate(file: URL?) throws(CheckpointError)

    /// The values the layers above the model read (heads, summaries, the command line).
    var traits: EncoderFamilyTraits { get }

    /// The same configuration with `layers` encoder layers.
    func keepingLayers(_ layers: Int) -> Self

    /// The same configuration naming a head class, its labels and problem type, as transformers
    /// writes them; `otherFields` are set too (a nil value removes the field).
    func labeled(architecture: String, labels: [String], problemType: String?, otherFields: [String: JSONValue?]) -> Self

    /// The `config.json` object.
    func jsonObject() -> [String: JSONValue]

    /// Builds, under `path` and with the checkpoint's own names, the embeddings, the first `layers`
    /// layers and (when `pooler`, which is false for families without one) the pooler.
    func makeParts(path: WeightPath, layers: Int, pooler: Bool) -> EncoderParts
}

extension EncoderFamilyConfig {
    /// Reads and validates a `config.json`.
    public init(contentsOf url: URL) throws(CheckpointError) {
        try self.init(json: JSONConfig(contentsOf: url))
    }

    /// Validates, then writes `config.json` atomically, laid out as transformers writes it
    /// (2-space indent, sorted keys) so that `from_pretrained` reads it back.
    public func write(to url: URL) throws(CheckpointError) {
        try validate(file: url)
        try AtomicFile.write(Data((JSONValue.object(jsonObject()).serialized(indent: 2) + "\n").utf8), to: url)
    }

    /// Fails unless `modelType` is one of ``modelTypes``; `name` is the family's name in the message.
    func checkModelType(_ modelType: String, name: String, file: URL?) throws(CheckpointError) {
        guard Self.modelTypes.contains(modelType) else {
            let expected = Self.modelTypes.map { "\"\($0)\"" }.joined(separator: " or ")
            throw CheckpointError(file: file, key: "model_type", .invalidValue(
                "\"\(modelType)\" is not \(name) config (\(expected)); AutoModel chooses the class by model_type"))
        }
    }
}

/// What one family's configuration tells the layers above the model.
public struct EncoderFamilyTraits: Sendable, Equatable {
    /// `model_type`.
    public var modelType: String
    /// transformers' `base_model_prefix`: the attribute a `…For…` head class keeps the encoder in,
    /// and so the first segment of its keys (`roberta` for XLM-RoBERTa too).
    public var baseModelPrefix: String
    /// The class-name stem: `Bert`, `Albert`, `DistilBert`, `Roberta`, `XLMRoberta`, `Electra`.
    public var classPrefix: String
    public var hiddenSize: Int
    /// The number of encoder layers (layer applications for ALBERT).
    public var numHiddenLayers: Int
    /// `vocab_size`: input ids must be below it.
    public var vocabularySize: Int
    /// `type_vocab_size`; nil for a family that reads no token types (DistilBERT).
    public var typeVocabularySize: Int?
    /// The most tokens a sequence may have: `max_position_embeddings`, less RoBERTa's padding offset.
    public var maxSequenceLength: Int
    public var initializerRange: Double
    /// The dropout transformers' classification heads use for this family.
    public var classifierDropout: Double
    /// The pooler's weight key, by which a checkpoint shows it has one; nil for families whose
    /// base class has no pooler (DistilBERT, ELECTRA).
    public var poolerWeight: String?
    /// Whether the family's base class can have a pooler (BERT, ALBERT, RoBERTa).
    public var supportsPooler: Bool { poolerWeight != nil }
    /// How `pooler` pooling maps onto this family's `…ForSequenceClassification` head.
    public var poolerHead: EncoderConfig.PoolerHead
    /// The names of the attention query and value projections (`query`, `value`; DistilBERT's
    /// `q_lin`, `v_lin`): where LoRA puts its adapters unless told otherwise.
    public var queryValueProjections: [String]

    public init(modelType: String, baseModelPrefix: String, classPrefix: String, hiddenSize: Int, numHiddenLayers: Int,
                vocabularySize: Int, typeVocabularySize: Int?, maxSequenceLength: Int, initializerRange: Double,
                classifierDropout: Double, poolerWeight: String?, poolerHead: EncoderConfig.PoolerHead,
                queryValueProjections: [String] = ["query", "value"]) {
        self.queryValueProjections = queryValueProjections
        self.modelType = modelType
        self.baseModelPrefix = baseModelPrefix
        self.classPrefix = classPrefix
        self.hiddenSize = hiddenSize
        self.numHiddenLayers = numHiddenLayers
        self.vocabularySize = vocabularySize
        self.typeVocabularySize = typeVocabularySize
        self.maxSequenceLength = maxSequenceLength
        self.initializerRange = initializerRange
        self.classifierDropout = classifierDropout
        self.poolerWeight = poolerWeight
        self.poolerHead = poolerHead
    }
}

extension EncoderConfig {
    /// How `pooler` pooling maps onto a family's `…ForSequenceClassification` head.
    public enum PoolerHead: Sendable, Equatable {
        /// The encoder's own pooler (dense + tanh on the first token), then `classifier` (BERT, ALBERT).
        case encoderPooler
        /// `pre_classifier` + ReLU on the first token, then `classifier` (DistilBERT).
        case preClassifier
        /// `classifier.dense` + an activation on the first token, then `classifier.out_proj` (RoBERTa, ELECTRA).
        case classificationHead(Activation)

        public var isClassificationHead: Bool {
            if case .classificationHead = self { return true }
            return false
        }
    }
}

/// A family whose config wraps BERT's (ALBERT, RoBERTa, ELECTRA): its layer count and labels are
/// those of ``base``.
public protocol BertBasedFamilyConfig: EncoderFamilyConfig {
    var base: BertConfig { get set }
}

extension BertBasedFamilyConfig {
    /// BERT's fields of `json`, with `defaults` for absent ones; `ownKeys`, the family's own
    /// fields, are left out of the base's ``BertConfig/otherFields``.
    static func readBase(_ json: JSONConfig, defaults: BertConfig, ownKeys: [String]) throws(CheckpointError) -> BertConfig {
        let withDefaults = json.values.merging(defaults.jsonObject()) { fromFile, _ in fromFile }
        var base = try BertConfig(json: JSONConfig(values: withDefaults, file: json.file, keyPrefix: json.keyPrefix))
        for key in ownKeys { base.otherFields[key] = nil }
        return base
    }

    public func keepingLayers(_ layers: Int) -> Self {
        var c = self
        c.base.numHiddenLayers = layers
        return c
    }

    public func labeled(architecture: String, labels: [String], problemType: String?, otherFields: [String: JSONValue?]) -> Self {
        var c = self
        c.base = base.labeledBase(architecture: architecture, labels: labels, problemType: problemType, otherFields: otherFields)
        return c
    }
}

extension BertConfig {
    /// This configuration (BERT's, or the shared part of ALBERT, RoBERTa and ELECTRA configs) naming
    /// a head class and its labels; see ``EncoderFamilyConfig/labeled(architecture:labels:problemType:otherFields:)``.
    func labeledBase(architecture: String, labels: [String], problemType: String?, otherFields: [String: JSONValue?]) -> BertConfig {
        var c = self
        c.architectures = [architecture]
        c.id2label = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($0.offset, $0.element) })
        c.label2id = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($0.element, $0.offset) })
        c.problemType = problemType
        for (key, value) in otherFields { c.otherFields[key] = value }
        return c
    }
}
