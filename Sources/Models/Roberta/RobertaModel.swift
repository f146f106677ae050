// Mirrors transformers' RobertaModel and XLMRobertaModel: BERT's layers and pooler after embeddings
// whose position ids start after the padding token and skip padding; `base_model_prefix` "roberta".
import Checkpoints
import Layers

/// Inputs may hold at most ``RobertaConfig/maxSequenceLength`` tokens (512 for
/// `max_position_embeddings` 514). Padding must use `pad_token_id` (1), which is how positions find it.
extension RobertaConfig: BertBasedFamilyConfig {
    public static let classNameStems = ["XLMRoberta": "xlm-roberta", "Roberta": "roberta"]

    /// `RobertaForSequenceClassification` reads the first token through `classifier.dense` + tanh.
    public var traits: EncoderFamilyTraits {
        base.traits(baseModelPrefix: "roberta", classPrefix: classPrefix, maxSequenceLength: maxSequenceLength,
                    poolerWeight: "pooler.dense.weight", poolerHead: .classificationHead(.tanh))
    }

    var classPrefix: String { base.modelType == "xlm-roberta" ? "XLMRoberta" : "Roberta" }

    public func makeParts(path: WeightPath, layers: Int, pooler: Bool) -> EncoderParts {
        let embeddings = BertEmbeddings(path["embeddings"], config: base, positions: .afterPadding(Int32(paddingIndex)))
        return base.bertParts(path: path, layers: layers, pooler: pooler, embeddings: embeddings,
                              names: (classPrefix + "Embeddings", classPrefix + "Layer", classPrefix + "Pooler"))
    }
}

extension EncoderConfig {
    /// A RoBERTa or XLM-RoBERTa configuration (`config.modelType` says which).
    public static func roberta(_ config: RobertaConfig) -> EncoderConfig { EncoderConfig(config) }
}
