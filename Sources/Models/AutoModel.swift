// Mirrors transformers' AutoConfig and AutoModel: the encoder class is chosen by `model_type`.
import Checkpoints
import Foundation
import Layers
import Tensor

/// Loads the encoder of any supported family, choosing the class by `model_type` in `config.json`
/// as transformers' `AutoModel` does.
///
/// ```swift
/// let model = try AutoModel.load("FacebookAI/xlm-roberta-base")   // a RobertaModel
/// let output = try model(EncoderInput(sequences: [[0, 35378, 2]], padId: 1))
/// ```
public enum AutoModel {
    /// The `model_type` values with a class here, and the class each one loads.
    public static let supportedModelTypes = EncoderConfig.supportedModelTypes

    /// Loads a model folder or a Hugging Face id from the local cache (no network).
    ///
    /// - Parameter layers: keep only the first `layers` encoder layers (extract layers); all when nil.
    /// - Throws: ``ModelError/unsupportedModelType(_:supported:)`` listing the supported types, or a
    ///   `CheckpointError` naming the file and key (a missing weight, a bad config field).
    public static func load(_ idOrPath: String, revision: String? = nil, layers: Int? = nil) throws -> any EncoderModel {
        try load(folder: ModelLocation.resolve(idOrPath, revision: revision), layers: layers)
    }

    /// Loads a model folder; see ``load(_:revision:layers:)``.
    public static func load(folder: URL, layers: Int? = nil) throws -> any EncoderModel {
        let config = try EncoderConfig(contentsOf: folder.appending(path: "config.json"))
        return try config.loadModel(weights: Checkpoint.open(folder), layers: layers)
    }
}

/// The configuration of any supported encoder family, read by `model_type` (transformers' AutoConfig).
public enum EncoderConfig: Sendable, Equatable {
    case bert(BertConfig)
    case albert(AlbertConfig)
    case distilBert(DistilBertConfig)
    /// RoBERTa or XLM-RoBERTa (`config.modelType` says which).
    case roberta(RobertaConfig)
    case electra(ElectraConfig)

    /// The `model_type` values with a class here.
    public static let supportedModelTypes = ["bert", "albert", "distilbert", "roberta", "xlm-roberta", "electra"]

    /// Reads `config.json` and the family's own config type.
    public init(contentsOf url: URL) throws {
        try self.init(json: JSONConfig(contentsOf: url))
    }

    /// Reads the family's config type chosen by `model_type`; without one, by the first of
    /// `architectures` (`RobertaForMaskedLM` → roberta).
    ///
    /// - Throws: ``ModelError/unsupportedModelType(_:supported:)`` for another `model_type`, or a
    ///   `CheckpointError` naming the file and key.
    public init(json: JSONConfig) throws {
        let modelType: String
        if let declared = try json.stringIfPresent("model_type") {
            modelType = declared
        } else if let inferred = try Self.modelType(architectures: json.stringsIfPresent("architectures")) {
            modelType = inferred
        } else {
            throw json.error("model_type", .invalidValue(
                "absent, and no architectures name a supported family; supported: \(Self.supportedModelTypes.joined(separator: ", "))"))
        }
        var values = json.values
        values["model_type"] = .string(modelType)
        let json = JSONConfig(values: values, file: json.file, keyPrefix: json.keyPrefix)
        switch modelType {
        case "bert": self = .bert(try BertConfig(json: json))
        case "albert": self = .albert(try AlbertConfig(json: json))
        case "distilbert": self = .distilBert(try DistilBertConfig(json: json))
        case "roberta", "xlm-roberta": self = .roberta(try RobertaConfig(json: json))
        case "electra": self = .electra(try ElectraConfig(json: json))
        default: throw ModelError.unsupportedModelType(modelType, supported: Self.supportedModelTypes)
        }
    }

    /// The family of a transformers class name such as `XLMRobertaForSequenceClassification`.
    static func modelType(architectures: [String]?) -> String? {
        guard let name = architectures?.first else { return nil }
        let families = [("XLMRoberta", "xlm-roberta"), ("Roberta", "roberta"), ("DistilBert", "distilbert"),
                        ("Albert", "albert"), ("Electra", "electra"), ("Bert", "bert")]
        return families.first { name.hasPrefix($0.0) }?.1
    }

    /// `model_type`.
    public var modelType: String {
        switch self {
        case .bert(let c): return c.modelType
        case .albert(let c): return c.modelType
        case .distilBert(let c): return c.modelType
        case .roberta(let c): return c.modelType
        case .electra(let c): return c.modelType
        }
    }

    /// transformers' `base_model_prefix`: the attribute a `…For…` head class keeps the encoder in,
    /// and so the first segment of its keys (`roberta` for XLM-RoBERTa too).
    public var baseModelPrefix: String {
        switch self {
        case .bert: return "bert"
        case .albert: return "albert"
        case .distilBert: return "distilbert"
        case .roberta: return "roberta"
        case .electra: return "electra"
        }
    }

    public var hiddenSize: Int {
        switch self {
        case .bert(let c): return c.hiddenSize
        case .albert(let c): return c.hiddenSize
        case .distilBert(let c): return c.dim
        case .roberta(let c): return c.hiddenSize
        case .electra(let c): return c.hiddenSize
        }
    }

    /// The number of encoder layers (layer applications for ALBERT).
    public var numHiddenLayers: Int {
        switch self {
        case .bert(let c): return c.numHiddenLayers
        case .albert(let c): return c.numHiddenLayers
        case .distilBert(let c): return c.nLayers
        case .roberta(let c): return c.numHiddenLayers
        case .electra(let c): return c.numHiddenLayers
        }
    }

    /// Whether the family's base class can have a pooler (BERT, ALBERT, RoBERTa).
    public var supportsPooler: Bool {
        switch self {
        case .bert, .albert, .roberta: return true
        case .distilBert, .electra: return false
        }
    }

    /// Builds a randomly initialised model of this family under `path` (`store.root["roberta"]`
    /// under a task head); `pooler` is ignored by families without one.
    public func makeModel(path: WeightPath, layers: Int? = nil, pooler: Bool = true) -> any EncoderModel {
        switch self {
        case .bert(let c): return BertModel(config: c, path: path, layers: layers, pooler: pooler)
        case .albert(let c): return AlbertModel(config: c, path: path, layers: layers, pooler: pooler)
        case .distilBert(let c): return DistilBertModel(config: c, path: path, layers: layers)
        case .roberta(let c): return RobertaModel(config: c, path: path, layers: layers, pooler: pooler)
        case .electra(let c): return ElectraModel(config: c, path: path, layers: layers)
        }
    }

    /// Builds the model and fills it from `weights`, whose keys may carry ``baseModelPrefix`` + ".";
    /// the pooler is built when the checkpoint has one.
    public func loadModel(weights: any WeightSource, layers: Int? = nil) throws -> any EncoderModel {
        switch self {
        case .bert(let c): return try BertModel.load(config: c, weights: weights, layers: layers)
        case .albert(let c): return try AlbertModel.load(config: c, weights: weights, layers: layers)
        case .distilBert(let c): return try DistilBertModel.load(config: c, weights: weights, layers: layers)
        case .roberta(let c): return try RobertaModel.load(config: c, weights: weights, layers: layers)
        case .electra(let c): return try ElectraModel.load(config: c, weights: weights, layers: layers)
        }
    }
}
