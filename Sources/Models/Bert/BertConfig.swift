// Mirrors transformers' `BertConfig` (models/bert/configuration_bert.py): same fields, same defaults.
import Checkpoints
import Foundation

/// The hyperparameters of a BERT model, as in its `config.json`.
///
/// Reading validates what the model code relies on: `hidden_act` must be a supported
/// ``Activation``, `position_embedding_type` must be `"absolute"`, `hidden_size` must be a multiple
/// of `num_attention_heads`, and sizes must be positive. Fields this type does not model are kept in
/// ``otherFields`` and written back by ``write(to:)``, so a config survives a round trip.
public struct BertConfig: Sendable, Equatable {
    public var vocabSize: Int
    public var hiddenSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var intermediateSize: Int
    public var hiddenAct: Activation
    public var hiddenDropoutProb: Double
    public var attentionProbsDropoutProb: Double
    public var maxPositionEmbeddings: Int
    public var typeVocabSize: Int
    public var initializerRange: Double
    public var layerNormEps: Double
    /// The padding token's id; `nil` when the config says `null`.
    public var padTokenId: Int?
    /// Only `"absolute"` is supported.
    public var positionEmbeddingType: String
    /// `"bert"` for BERT; other families that reuse this layout have their own.
    public var modelType: String
    /// The transformers classes the weights belong to, such as `["BertForSequenceClassification"]`.
    public var architectures: [String]?
    /// Class index → label name, for classification heads.
    public var id2label: [Int: String]?
    /// Label name → class index.
    public var label2id: [String: Int]?
    /// Dropout before a classification head; `nil` means `hiddenDropoutProb`.
    public var classifierDropout: Double?
    /// `"regression"`, `"single_label_classification"` or `"multi_label_classification"`.
    public var problemType: String?
    /// Fields not modeled above (such as `transformers_version`), written back unchanged.
    public var otherFields: [String: JSONValue]

    /// A config with transformers' defaults (BERT-base), changed by the arguments given.
    public init(
        vocabSize: Int = 30522,
        hiddenSize: Int = 768,
        numHiddenLayers: Int = 12,
        numAttentionHeads: Int = 12,
        intermediateSize: Int = 3072,
        hiddenAct: Activation = .gelu,
        hiddenDropoutProb: Double = 0.1,
        attentionProbsDropoutProb: Double = 0.1,
        maxPositionEmbeddings: Int = 512,
        typeVocabSize: Int = 2,
        initializerRange: Double = 0.02,
        layerNormEps: Double = 1e-12,
        padTokenId: Int? = 0,
        positionEmbeddingType: String = "absolute",
        modelType: String = "bert",
        architectures: [String]? = nil,
        id2label: [Int: String]? = nil,
        label2id: [String: Int]? = nil,
        classifierDropout: Double? = nil,
        problemType: String? = nil,
        otherFields: [String: JSONValue] = [:]
    ) {
        self.vocabSize = vocabSize
        self.hiddenSize = hiddenSize
        self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads
        self.intermediateSize = intermediateSize
        self.hiddenAct = hiddenAct
        self.hiddenDropoutProb = hiddenDropoutProb
        self.attentionProbsDropoutProb = attentionProbsDropoutProb
        self.maxPositionEmbeddings = maxPositionEmbeddings
        self.typeVocabSize = typeVocabSize
        self.initializerRange = initializerRange
        self.layerNormEps = layerNormEps
        self.padTokenId = padTokenId
        self.positionEmbeddingType = positionEmbeddingType
        self.modelType = modelType
        self.architectures = architectures
        self.id2label = id2label
        self.label2id = label2id
        self.classifierDropout = classifierDropout
        self.problemType = problemType
        self.otherFields = otherFields
    }

    /// Reads and validates the fields of `json`, with transformers' defaults for absent ones.
    public init(json: JSONConfig) throws(CheckpointError) {
        let defaults = BertConfig()
        let act = try json.activation("hidden_act", default: defaults.hiddenAct)
        self.init(
            vocabSize: try json.int("vocab_size", default: defaults.vocabSize),
            hiddenSize: try json.int("hidden_size", default: defaults.hiddenSize),
            numHiddenLayers: try json.int("num_hidden_layers", default: defaults.numHiddenLayers),
            numAttentionHeads: try json.int("num_attention_heads", default: defaults.numAttentionHeads),
            intermediateSize: try json.int("intermediate_size", default: defaults.intermediateSize),
            hiddenAct: act,
            hiddenDropoutProb: try json.double("hidden_dropout_prob", default: defaults.hiddenDropoutProb),
            attentionProbsDropoutProb: try json.double("attention_probs_dropout_prob", default: defaults.attentionProbsDropoutProb),
            maxPositionEmbeddings: try json.int("max_position_embeddings", default: defaults.maxPositionEmbeddings),
            typeVocabSize: try json.int("type_vocab_size", default: defaults.typeVocabSize),
            initializerRange: try json.double("initializer_range", default: defaults.initializerRange),
            layerNormEps: try json.double("layer_norm_eps", default: defaults.layerNormEps),
            padTokenId: json.values.keys.contains("pad_token_id") ? try json.intIfPresent("pad_token_id") : defaults.padTokenId,
            positionEmbeddingType: try json.string("position_embedding_type", default: defaults.positionEmbeddingType),
            modelType: try json.string("model_type", default: defaults.modelType),
            architectures: try json.stringsIfPresent("architectures"),
            id2label: try Self.readId2Label(json),
            label2id: try Self.readLabel2Id(json),
            classifierDropout: try json.doubleIfPresent("classifier_dropout"),
            problemType: try json.stringIfPresent("problem_type"),
            otherFields: json.values.filter { !Self.modeledKeys.contains($0.key) }
        )
        try validate(file: json.file)
    }

    /// The number of classes of a classification head: the size of ``id2label``, else 2 as in transformers.
    public var numLabels: Int { id2label?.count ?? 2 }

    /// The width of one attention head.
    public var attentionHeadSize: Int { hiddenSize / numAttentionHeads }

    /// Checks the values the model code relies on; errors name `file` and the offending key.
    public func validate(file: URL? = nil) throws(CheckpointError) {
        func fail(_ key: String, _ text: String) -> CheckpointError {
            CheckpointError(file: file, key: key, .invalidValue(text))
        }
        let positive: [(String, Int)] = [
            ("vocab_size", vocabSize), ("hidden_size", hiddenSize), ("num_hidden_layers", numHiddenLayers),
            ("num_attention_heads", numAttentionHeads), ("intermediate_size", intermediateSize),
            ("max_position_embeddings", maxPositionEmbeddings), ("type_vocab_size", typeVocabSize),
        ]
        try ConfigLimits.check(positive, file: file)
        guard hiddenSize % numAttentionHeads == 0 else {
            throw fail("hidden_size", "\(hiddenSize) is not a multiple of num_attention_heads (\(numAttentionHeads))")
        }
        guard positionEmbeddingType == "absolute" else {
            throw fail("position_embedding_type", "unsupported position embedding type \"\(positionEmbeddingType)\"; only \"absolute\" is supported")
        }
        try ConfigLimits.checkProbabilities([
            ("hidden_dropout_prob", hiddenDropoutProb), ("attention_probs_dropout_prob", attentionProbsDropoutProb),
            ("classifier_dropout", classifierDropout),
        ], file: file)
        guard layerNormEps > 0, layerNormEps.isFinite else {
            throw fail("layer_norm_eps", "must be a positive number, found \(layerNormEps)")
        }
        try ConfigLimits.checkInitialization(range: initializerRange, padTokenId: padTokenId, vocabSize: vocabSize, file: file)
    }

    /// The config as a JSON object with transformers' field names.
    public func jsonObject() -> [String: JSONValue] {
        var object = otherFields
        object["vocab_size"] = .int(vocabSize)
        object["hidden_size"] = .int(hiddenSize)
        object["num_hidden_layers"] = .int(numHiddenLayers)
        object["num_attention_heads"] = .int(numAttentionHeads)
        object["intermediate_size"] = .int(intermediateSize)
        object["hidden_act"] = .string(hiddenAct.rawValue)
        object["hidden_dropout_prob"] = .double(hiddenDropoutProb)
        object["attention_probs_dropout_prob"] = .double(attentionProbsDropoutProb)
        object["max_position_embeddings"] = .int(maxPositionEmbeddings)
        object["type_vocab_size"] = .int(typeVocabSize)
        object["initializer_range"] = .double(initializerRange)
        object["layer_norm_eps"] = .double(layerNormEps)
        object["pad_token_id"] = padTokenId.map(JSONValue.int) ?? .null
        object["position_embedding_type"] = .string(positionEmbeddingType)
        object["model_type"] = .string(modelType)
        object["architectures"] = architectures.map { .array($0.map(JSONValue.string)) }
        object["id2label"] = id2label.map { labels in
            .object(Dictionary(uniqueKeysWithValues: labels.map { (String($0.key), JSONValue.string($0.value)) }))
        }
        object["label2id"] = label2id.map { .object($0.mapValues(JSONValue.int)) }
        object["classifier_dropout"] = classifierDropout.map(JSONValue.double) ?? .null
        object["problem_type"] = problemType.map(JSONValue.string)
        return object
    }

    private static let modeledKeys: Set<String> = [
        "vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "hidden_act",
        "hidden_dropout_prob", "attention_probs_dropout_prob", "max_position_embeddings", "type_vocab_size",
        "initializer_range", "layer_norm_eps", "pad_token_id", "position_embedding_type", "model_type",
        "architectures", "id2label", "label2id", "classifier_dropout", "problem_type",
    ]

    private static func readId2Label(_ json: JSONConfig) throws(CheckpointError) -> [Int: String]? {
        guard let object = try json.objectIfPresent("id2label") else { return nil }
        var labels: [Int: String] = [:]
        for key in object.values.keys.sorted() {
            guard let index = Int(key), index >= 0 else {
                throw object.error(key, .invalidValue("class index \"\(key)\" is not a non-negative integer"))
            }
            labels[index] = try object.string(key)
        }
        return labels
    }

    private static func readLabel2Id(_ json: JSONConfig) throws(CheckpointError) -> [String: Int]? {
        guard let object = try json.objectIfPresent("label2id") else { return nil }
        var ids: [String: Int] = [:]
        for key in object.values.keys.sorted() {
            ids[key] = try object.int(key)
        }
        return ids
    }
}
