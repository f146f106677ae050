// ELECTRA as an encoder family: transformers' ElectraModel, `base_model_prefix` "electra".
import Checkpoints
import Layers

extension ElectraConfig: BertBasedFamilyConfig {
    public static let modelTypes = ["electra"]
    public static let classNameStems = ["Electra": "electra"]

    /// `ElectraForSequenceClassification` reads the first token through `classifier.dense` + GELU.
    public var traits: EncoderFamilyTraits {
        EncoderFamilyTraits(
            modelType: base.modelType, baseModelPrefix: "electra", classPrefix: "Electra", hiddenSize: base.hiddenSize,
            numHiddenLayers: base.numHiddenLayers, maxSequenceLength: base.maxPositionEmbeddings,
            initializerRange: base.initializerRange, classifierDropout: base.classifierDropout ?? base.hiddenDropoutProb,
            supportsPooler: false, poolerHead: .classificationHead(.gelu))
    }

    /// ELECTRA has no pooler; `pooler` is ignored.
    public func makeModel(path: WeightPath, layers: Int?, pooler: Bool) -> any EncoderModel {
        ElectraModel(config: self, path: path, layers: layers)
    }

    public func loadModel(weights: any WeightSource, layers: Int?) throws -> any EncoderModel {
        try ElectraModel.load(config: self, weights: weights, layers: layers)
    }
}

extension EncoderConfig {
    /// An ELECTRA configuration.
    public static func electra(_ config: ElectraConfig) -> EncoderConfig { EncoderConfig(config) }
}
