// Mirrors transformers' `ElectraConfig` (models/electra/configuration_electra.py): same fields, same defaults.
import Checkpoints
import Foundation

/// The hyperparameters of an ELECTRA model (discriminator or generator), as in its `config.json`.
///
/// ELECTRA shares BERT's field names; they live in ``base`` with ELECTRA's defaults (ELECTRA-small:
/// hidden 256, 4 heads, intermediate 1024) and read as if they were this type's own
/// (`config.hiddenSize`). ELECTRA adds ``embeddingSize``: when it differs from `hidden_size`, the
/// embeddings are projected by `embeddings_project`. The `summary_*` fields belong to
/// `ElectraForMultipleChoice`'s head and are kept in `base.otherFields`.
@dynamicMemberLookup
public struct ElectraConfig: Sendable, Equatable {
    /// The fields ELECTRA shares with BERT, with ELECTRA's defaults (model_type `"electra"`).
    public var base: BertConfig
    /// The width of the token, position and type embeddings.
    public var embeddingSize: Int

    /// transformers' defaults for the shared fields (`ElectraConfig()`).
    public static let defaultBase = BertConfig(
        vocabSize: 30522, hiddenSize: 256, numHiddenLayers: 12, numAttentionHeads: 4, intermediateSize: 1024,
        padTokenId: 0, modelType: "electra")

    /// A config with transformers' defaults, changed by the arguments given.
    public init(base: BertConfig = ElectraConfig.defaultBase, embeddingSize: Int = 128) {
        self.base = base
        self.embeddingSize = embeddingSize
    }

    /// Reads and validates the fields of `json`, with transformers' ELECTRA defaults for absent ones.
    public init(json: JSONConfig) throws(CheckpointError) {
        self.init(base: try Self.readBase(json, defaults: Self.defaultBase, ownKeys: ["embedding_size"]),
                  embeddingSize: try json.int("embedding_size", default: 128))
        try validate(file: json.file)
    }

    /// Reads and writes the fields shared with BERT as if they were this type's own.
    public subscript<T>(dynamicMember keyPath: WritableKeyPath<BertConfig, T>) -> T {
        get { base[keyPath: keyPath] }
        set { base[keyPath: keyPath] = newValue }
    }

    /// Whether the model has `embeddings_project` (`embedding_size` ≠ `hidden_size`).
    public var projectsEmbeddings: Bool { embeddingSize != base.hiddenSize }

    /// Checks the values the model code relies on; errors name `file` and the offending key.
    public func validate(file: URL? = nil) throws(CheckpointError) {
        try base.validate(file: file)
        try checkModelType(base.modelType, name: "an ELECTRA", file: file)
        try ConfigLimits.check([("embedding_size", embeddingSize)], file: file)
    }

    /// The config as a JSON object with transformers' field names.
    public func jsonObject() -> [String: JSONValue] {
        var object = base.jsonObject()
        object["embedding_size"] = .int(embeddingSize)
        return object
    }

}
