// RoBERTa and XLM-RoBERTa as an encoder family: transformers' RobertaModel and XLMRobertaModel,
// `base_model_prefix` "roberta" for both.
import Checkpoints
import Layers

extension RobertaConfig: BertBasedFamilyConfig {
    public static let classNameStems = ["XLMRoberta": "xlm-roberta", "Roberta": "roberta"]

    /// `RobertaForSequenceClassification` reads the first token through `classifier.dense` + tanh.
    public var traits: EncoderFamilyTraits {
        EncoderFamilyTraits(
            modelType: base.modelType, baseModelPrefix: "roberta",
            classPrefix: base.modelType == "xlm-roberta" ? "XLMRoberta" : "Roberta", hiddenSize: base.hiddenSize,
            numHiddenLayers: base.numHiddenLayers, maxSequenceLength: maxSequenceLength,
            initializerRange: base.initializerRange, classifierDropout: base.classifierDropout ?? base.hiddenDropoutProb,
            supportsPooler: true, poolerHead: .classificationHead(.tanh))
    }

    public func makeModel(path: WeightPath, layers: Int?, pooler: Bool) -> any EncoderModel {
        RobertaModel(config: self, path: path, layers: layers, pooler: pooler)
    }

    public func loadModel(weights: any WeightSource, layers: Int?) throws -> any EncoderModel {
        try RobertaModel.load(config: self, weights: weights, layers: layers)
    }
}

extension EncoderConfig {
    /// A RoBERTa or XLM-RoBERTa configuration (`config.modelType` says which).
    public static func roberta(_ config: RobertaConfig) -> EncoderConfig { EncoderConfig(config) }
}
