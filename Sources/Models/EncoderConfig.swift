// Mirrors transformers' AutoConfig: the family's config class is chosen by `model_type`.
import Checkpoints
import Foundation
import Layers

/// The configuration of any supported encoder family, read by `model_type` (transformers' AutoConfig).
///
/// Each family describes itself through ``EncoderFamilyConfig`` in its own folder; this type
/// chooses among ``families`` and forwards to the one it holds.
public struct EncoderConfig: Sendable, Equatable {
    /// Every supported family, in the order of ``supportedModelTypes``. A new family adds one entry.
    public static let families: [any EncoderFamilyConfig.Type] = [
        BertConfig.self, AlbertConfig.self, DistilBertConfig.self, RobertaConfig.self, ElectraConfig.self,
    ]

    /// The family's own configuration (`BertConfig`, `RobertaConfig`, …).
    public let family: any EncoderFamilyConfig

    /// Wraps one family's configuration.
    public init(_ family: some EncoderFamilyConfig) {
        self.family = family
    }

    /// The `model_type` values with a class here.
    public static let supportedModelTypes = families.flatMap { $0.modelTypes }

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
        guard let family = Self.families.first(where: { $0.modelTypes.contains(modelType) }) else {
            throw ModelError.unsupportedModelType(modelType, supported: Self.supportedModelTypes)
        }
        self.family = try family.init(json: json)
    }

    /// The family of a transformers class name such as `XLMRobertaForSequenceClassification`: the
    /// longest class-name stem it starts with.
    static func modelType(architectures: [String]?) -> String? {
        guard let name = architectures?.first else { return nil }
        let stems = families.flatMap { $0.classNameStems }.sorted { $0.key.count > $1.key.count }
        return stems.first { name.hasPrefix($0.key) }?.value
    }

    public static func == (lhs: EncoderConfig, rhs: EncoderConfig) -> Bool {
        lhs.family.isEqual(to: rhs.family)
    }

    /// What the family's configuration tells the layers above the model.
    public var traits: EncoderFamilyTraits { family.traits }
    /// `model_type`.
    public var modelType: String { traits.modelType }
    /// transformers' `base_model_prefix`: the attribute a `…For…` head class keeps the encoder in,
    /// and so the first segment of its keys (`roberta` for XLM-RoBERTa too).
    public var baseModelPrefix: String { traits.baseModelPrefix }
    /// The class-name stem: `Bert`, `Albert`, `DistilBert`, `Roberta`, `XLMRoberta`, `Electra`.
    public var classPrefix: String { traits.classPrefix }
    public var hiddenSize: Int { traits.hiddenSize }
    /// The number of encoder layers (layer applications for ALBERT).
    public var numHiddenLayers: Int { traits.numHiddenLayers }
    /// The most tokens a sequence may have: `max_position_embeddings`, less RoBERTa's padding offset.
    public var maxSequenceLength: Int { traits.maxSequenceLength }
    public var initializerRange: Double { traits.initializerRange }
    /// The dropout transformers' classification heads use for this family.
    public var classifierDropout: Double { traits.classifierDropout }
    /// Whether the family's base class can have a pooler (BERT, ALBERT, RoBERTa).
    public var supportsPooler: Bool { traits.supportsPooler }
    /// How `pooler` pooling maps onto this family's `…ForSequenceClassification` head.
    public var poolerHead: PoolerHead { traits.poolerHead }

    /// The same configuration with `layers` encoder layers.
    public func keepingLayers(_ layers: Int) -> EncoderConfig {
        EncoderConfig(family.keepingLayers(layers))
    }

    /// The same configuration naming a head class and its labels; see
    /// ``EncoderFamilyConfig/labeled(architecture:labels:problemType:otherFields:)``.
    public func labeled(architecture: String, labels: [String], problemType: String?,
                        otherFields: [String: JSONValue?] = [:]) -> EncoderConfig {
        EncoderConfig(family.labeled(architecture: architecture, labels: labels, problemType: problemType, otherFields: otherFields))
    }

    /// The `config.json` object.
    public func jsonObject() -> [String: JSONValue] { family.jsonObject() }

    /// Validates, then writes `config.json`.
    public func write(to url: URL) throws(CheckpointError) { try family.write(to: url) }

    /// Builds a randomly initialised model of this family under `path` (`store.root["roberta"]`
    /// under a task head); `pooler` is ignored by families without one.
    public func makeModel(path: WeightPath, layers: Int? = nil, pooler: Bool = true) -> EncoderModel {
        EncoderModel(config: self, path: path, layers: layers, pooler: pooler)
    }
}

extension EncoderFamilyConfig {
    /// Whether `other` is a configuration of the same type with the same values.
    func isEqual(to other: any EncoderFamilyConfig) -> Bool {
        (other as? Self) == self
    }
}
