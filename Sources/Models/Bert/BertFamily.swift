// BERT as an encoder family: transformers' BertModel, `base_model_prefix` "bert".
import Checkpoints
import Layers

extension BertConfig: EncoderFamilyConfig {
    public static let modelTypes = ["bert"]
    public static let classNameStems = ["Bert": "bert"]

    public var traits: EncoderFamilyTraits {
        EncoderFamilyTraits(
            modelType: modelType, baseModelPrefix: "bert", classPrefix: "Bert", hiddenSize: hiddenSize,
            numHiddenLayers: numHiddenLayers, maxSequenceLength: maxPositionEmbeddings, initializerRange: initializerRange,
            classifierDropout: classifierDropout ?? hiddenDropoutProb, supportsPooler: true, poolerHead: .encoderPooler)
    }

    public func keepingLayers(_ layers: Int) -> BertConfig {
        var c = self
        c.numHiddenLayers = layers
        return c
    }

    public func labeled(architecture: String, labels: [String], problemType: String?, otherFields: [String: JSONValue?]) -> BertConfig {
        labeledBase(architecture: architecture, labels: labels, problemType: problemType, otherFields: otherFields)
    }

    public func makeModel(path: WeightPath, layers: Int?, pooler: Bool) -> any EncoderModel {
        BertModel(config: self, path: path, layers: layers, pooler: pooler)
    }

    public func loadModel(weights: any WeightSource, layers: Int?) throws -> any EncoderModel {
        try BertModel.load(config: self, weights: weights, layers: layers)
    }
}

extension EncoderConfig {
    /// A BERT configuration.
    public static func bert(_ config: BertConfig) -> EncoderConfig { EncoderConfig(config) }
}
