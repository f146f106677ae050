// Mirrors transformers' `RobertaConfig` and `XLMRobertaConfig` (models/roberta/configuration_roberta.py,
// models/xlm_roberta/configuration_xlm_roberta.py): same fields, same defaults.
import Checkpoints
import Foundation

/// The hyperparameters of a RoBERTa or XLM-RoBERTa model, as in its `config.json`.
///
/// RoBERTa has BERT's fields; they live in ``base`` with RoBERTa's defaults (`pad_token_id` 1,
/// `vocab_size` 50265, or 30522 for model_type `"xlm-roberta"`) and read as if they were this type's
/// own (`config.hiddenSize`). What differs is how positions are numbered: they start after
/// `pad_token_id` and skip padding, so a model reads at most ``maxSequenceLength`` tokens
/// (512 for the usual `max_position_embeddings` of 514).
@dynamicMemberLookup
public struct RobertaConfig: Sendable, Equatable {
    /// The fields, shared with BERT, with RoBERTa's defaults (model_type `"roberta"` or `"xlm-roberta"`).
    public var base: BertConfig

    /// The model types this config describes; both use transformers' RoBERTa layers and key names.
    public static let modelTypes = ["roberta", "xlm-roberta"]

    /// transformers' defaults for `model_type` (`RobertaConfig()` or `XLMRobertaConfig()`).
    public static func defaultBase(modelType: String = "roberta") -> BertConfig {
        BertConfig(vocabSize: modelType == "xlm-roberta" ? 30522 : 50265, padTokenId: 1, modelType: modelType)
    }

    /// A config with transformers' defaults, changed by the arguments given.
    public init(base: BertConfig = RobertaConfig.defaultBase()) {
        self.base = base
    }

    /// Reads and validates the fields of `json`, with transformers' defaults for absent ones.
    public init(json: JSONConfig) throws(CheckpointError) {
        let defaults = Self.defaultBase(modelType: try json.string("model_type", default: "roberta"))
        self.init(base: try Self.readBase(json, defaults: defaults, ownKeys: []))
        try validate(file: json.file)
    }

    /// Reads and writes the fields shared with BERT as if they were this type's own.
    public subscript<T>(dynamicMember keyPath: WritableKeyPath<BertConfig, T>) -> T {
        get { base[keyPath: keyPath] }
        set { base[keyPath: keyPath] = newValue }
    }

    /// The padding token, whose position id all padding gets; positions count from the one after it.
    public var paddingIndex: Int { base.padTokenId ?? 1 }

    /// The longest input: `max_position_embeddings − pad_token_id − 1`, since position ids start
    /// at `pad_token_id + 1`.
    public var maxSequenceLength: Int { base.maxPositionEmbeddings - paddingIndex - 1 }

    /// Checks the values the model code relies on; errors name `file` and the offending key.
    public func validate(file: URL? = nil) throws(CheckpointError) {
        try base.validate(file: file)
        func fail(_ key: String, _ text: String) -> CheckpointError {
            CheckpointError(file: file, key: key, .invalidValue(text))
        }
        try checkModelType(base.modelType, name: "a RoBERTa", file: file)
        guard let pad = base.padTokenId else {
            throw fail("pad_token_id", "RoBERTa numbers positions after the padding token, so pad_token_id cannot be null")
        }
        guard maxSequenceLength > 0 else {
            throw fail("max_position_embeddings", "\(base.maxPositionEmbeddings) leaves no position after pad_token_id \(pad)")
        }
    }

    /// The config as a JSON object with transformers' field names.
    public func jsonObject() -> [String: JSONValue] { base.jsonObject() }

}
