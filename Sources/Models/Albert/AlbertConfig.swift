// Mirrors transformers' `AlbertConfig` (models/albert/configuration_albert.py): same fields, same defaults.
import Checkpoints
import Foundation

/// The hyperparameters of an ALBERT model, as in its `config.json`.
///
/// ALBERT shares BERT's field names (`hidden_size`, `num_attention_heads`, `hidden_act`, …); they live
/// in ``base`` with ALBERT's defaults and read as if they were this type's own (`config.hiddenSize`).
/// ALBERT adds the factorized embedding width and cross-layer parameter sharing: `num_hidden_layers`
/// applications of `num_hidden_groups` groups of `inner_group_num` layers each.
@dynamicMemberLookup
public struct AlbertConfig: Sendable, Equatable {
    /// The fields ALBERT shares with BERT, with ALBERT's defaults (model_type `"albert"`).
    public var base: BertConfig
    /// The width of the token, position and type embeddings, mapped to `hidden_size` by
    /// `encoder.embedding_hidden_mapping_in`.
    public var embeddingSize: Int
    /// The number of distinct groups of layers; layer l applies group l / (layers / groups).
    public var numHiddenGroups: Int
    /// The number of layers inside each group, applied one after the other.
    public var innerGroupNum: Int
    /// Dropout before the classifier of `AlbertFor…` heads.
    public var classifierDropoutProb: Double?

    /// transformers' defaults for the shared fields (ALBERT-xxlarge, as `AlbertConfig()` gives).
    public static let defaultBase = BertConfig(
        vocabSize: 30000, hiddenSize: 4096, numHiddenLayers: 12, numAttentionHeads: 64, intermediateSize: 16384,
        hiddenAct: .geluNew, hiddenDropoutProb: 0, attentionProbsDropoutProb: 0, maxPositionEmbeddings: 512,
        typeVocabSize: 2, initializerRange: 0.02, layerNormEps: 1e-12, padTokenId: 0, modelType: "albert")

    /// A config with transformers' defaults, changed by the arguments given.
    public init(base: BertConfig = AlbertConfig.defaultBase, embeddingSize: Int = 128, numHiddenGroups: Int = 1,
                innerGroupNum: Int = 1, classifierDropoutProb: Double? = 0.1) {
        (self.base, self.embeddingSize, self.numHiddenGroups) = (base, embeddingSize, numHiddenGroups)
        (self.innerGroupNum, self.classifierDropoutProb) = (innerGroupNum, classifierDropoutProb)
    }

    /// Reads and validates the fields of `json`, with transformers' ALBERT defaults for absent ones.
    public init(json: JSONConfig) throws(CheckpointError) {
        self.init(
            base: try Self.readBase(json, defaults: Self.defaultBase, ownKeys: Self.ownKeys),
            embeddingSize: try json.int("embedding_size", default: 128),
            numHiddenGroups: try json.int("num_hidden_groups", default: 1),
            innerGroupNum: try json.int("inner_group_num", default: 1),
            classifierDropoutProb: json.values.keys.contains("classifier_dropout_prob")
                ? try json.doubleIfPresent("classifier_dropout_prob") : 0.1)
        try validate(file: json.file)
    }

    /// Reads and writes the fields shared with BERT as if they were this type's own.
    public subscript<T>(dynamicMember keyPath: WritableKeyPath<BertConfig, T>) -> T {
        get { base[keyPath: keyPath] }
        set { base[keyPath: keyPath] = newValue }
    }

    /// The group that layer application `layer` (0-based) runs, as transformers computes it:
    /// `int(layer / (num_hidden_layers / num_hidden_groups))`.
    public func groupIndex(ofLayer layer: Int) -> Int {
        Int(Double(layer) / (Double(base.numHiddenLayers) / Double(numHiddenGroups)))
    }

    /// Checks the values the model code relies on; errors name `file` and the offending key.
    public func validate(file: URL? = nil) throws(CheckpointError) {
        try base.validate(file: file)
        try checkModelType(base.modelType, name: "an ALBERT", file: file)
        try ConfigLimits.check([("embedding_size", embeddingSize), ("num_hidden_groups", numHiddenGroups),
                                ("inner_group_num", innerGroupNum)], file: file)
        try ConfigLimits.checkProbabilities([("classifier_dropout_prob", classifierDropoutProb)], file: file)
    }

    /// The config as a JSON object with transformers' field names.
    public func jsonObject() -> [String: JSONValue] {
        var object = base.jsonObject()
        if base.classifierDropout == nil { object["classifier_dropout"] = nil }  // ALBERT's is classifier_dropout_prob
        object["embedding_size"] = .int(embeddingSize)
        object["num_hidden_groups"] = .int(numHiddenGroups)
        object["inner_group_num"] = .int(innerGroupNum)
        object["classifier_dropout_prob"] = classifierDropoutProb.map(JSONValue.double) ?? .null
        return object
    }

    private static let ownKeys = ["embedding_size", "num_hidden_groups", "inner_group_num", "classifier_dropout_prob"]
}
