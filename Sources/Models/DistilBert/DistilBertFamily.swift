// DistilBERT as an encoder family: transformers' DistilBertModel, `base_model_prefix` "distilbert".
import Checkpoints
import Layers

extension DistilBertConfig: EncoderFamilyConfig {
    public static let modelTypes = ["distilbert"]
    public static let classNameStems = ["DistilBert": "distilbert"]

    /// `DistilBertForSequenceClassification` reads the first token through `pre_classifier` + ReLU.
    public var traits: EncoderFamilyTraits {
        EncoderFamilyTraits(
            modelType: modelType, baseModelPrefix: "distilbert", classPrefix: "DistilBert", hiddenSize: dim,
            numHiddenLayers: nLayers, maxSequenceLength: maxPositionEmbeddings, initializerRange: initializerRange,
            classifierDropout: seqClassifDropout, supportsPooler: false, poolerHead: .preClassifier,
            queryValueProjections: ["q_lin", "v_lin"])
    }

    public func keepingLayers(_ layers: Int) -> DistilBertConfig {
        var c = self
        c.nLayers = layers
        return c
    }

    /// DistilBertConfig models no label fields, so they go to ``otherFields`` as transformers writes them.
    public func labeled(architecture: String, labels: [String], problemType: String?, otherFields: [String: JSONValue?]) -> DistilBertConfig {
        var c = self
        c.architectures = [architecture]
        c.otherFields["id2label"] = .object(Dictionary(uniqueKeysWithValues: labels.enumerated().map { (String($0.offset), .string($0.element)) }))
        c.otherFields["label2id"] = .object(Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($0.element, .int($0.offset)) }))
        c.otherFields["problem_type"] = problemType.map { .string($0) } ?? .null
        for (key, value) in otherFields { c.otherFields[key] = value }
        return c
    }

    /// DistilBERT has no pooler; `pooler` is ignored.
    public func makeModel(path: WeightPath, layers: Int?, pooler: Bool) -> any EncoderModel {
        DistilBertModel(config: self, path: path, layers: layers)
    }

    public func loadModel(weights: any WeightSource, layers: Int?) throws -> any EncoderModel {
        try DistilBertModel.load(config: self, weights: weights, layers: layers)
    }
}

extension EncoderConfig {
    /// A DistilBERT configuration.
    public static func distilBert(_ config: DistilBertConfig) -> EncoderConfig { EncoderConfig(config) }
}
