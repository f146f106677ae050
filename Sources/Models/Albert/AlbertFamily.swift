// ALBERT as an encoder family: transformers' AlbertModel, `base_model_prefix` "albert".
import Checkpoints
import Layers

extension AlbertConfig: BertBasedFamilyConfig {
    public static let modelTypes = ["albert"]
    public static let classNameStems = ["Albert": "albert"]

    public var traits: EncoderFamilyTraits {
        EncoderFamilyTraits(
            modelType: base.modelType, baseModelPrefix: "albert", classPrefix: "Albert", hiddenSize: base.hiddenSize,
            numHiddenLayers: base.numHiddenLayers, maxSequenceLength: base.maxPositionEmbeddings,
            initializerRange: base.initializerRange, classifierDropout: classifierDropoutProb ?? base.hiddenDropoutProb,
            supportsPooler: true, poolerHead: .encoderPooler)
    }

    public func makeModel(path: WeightPath, layers: Int?, pooler: Bool) -> any EncoderModel {
        AlbertModel(config: self, path: path, layers: layers, pooler: pooler)
    }

    public func loadModel(weights: any WeightSource, layers: Int?) throws -> any EncoderModel {
        try AlbertModel.load(config: self, weights: weights, layers: layers)
    }
}

extension EncoderConfig {
    /// An ALBERT configuration.
    public static func albert(_ config: AlbertConfig) -> EncoderConfig { EncoderConfig(config) }
}
