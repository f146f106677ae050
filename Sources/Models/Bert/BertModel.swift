// Mirrors transformers' BertModel: `embeddings`, `encoder.layer.N` and an optional `pooler.dense`
// (+ tanh on the first token); `base_model_prefix` "bert".
import Checkpoints
import Layers

extension BertConfig: EncoderFamilyConfig {
    public static let modelTypes = ["bert"]
    public static let classNameStems = ["Bert": "bert"]

    public var traits: EncoderFamilyTraits {
        traits(baseModelPrefix: "bert", classPrefix: "Bert", poolerWeight: "pooler.dense.weight", poolerHead: .encoderPooler)
    }

    /// The traits of BERT and of the families that wrap its config (ALBERT, RoBERTa, ELECTRA):
    /// sizes from this config, the rest from the family.
    func traits(baseModelPrefix: String, classPrefix: String, maxSequenceLength: Int? = nil, classifierDropout: Double? = nil,
                poolerWeight: String?, poolerHead: EncoderConfig.PoolerHead) -> EncoderFamilyTraits {
        EncoderFamilyTraits(
            modelType: modelType, baseModelPrefix: baseModelPrefix, classPrefix: classPrefix, hiddenSize: hiddenSize,
            numHiddenLayers: numHiddenLayers, vocabularySize: vocabSize, typeVocabularySize: typeVocabSize,
            maxSequenceLength: maxSequenceLength ?? maxPositionEmbeddings, initializerRange: initializerRange,
            classifierDropout: classifierDropout ?? self.classifierDropout ?? hiddenDropoutProb, poolerWeight: poolerWeight,
            poolerHead: poolerHead)
    }

    public func keepingLayers(_ layers: Int) -> BertConfig {
        var c = self
        c.numHiddenLayers = layers
        return c
    }

    public func labeled(architecture: String, labels: [String], problemType: String?, otherFields: [String: JSONValue?]) -> BertConfig {
        labeledBase(architecture: architecture, labels: labels, problemType: problemType, otherFields: otherFields)
    }

    public func makeParts(path: WeightPath, layers: Int, pooler: Bool) -> EncoderParts {
        bertParts(path: path, layers: layers, pooler: pooler, embeddings: BertEmbeddings(path["embeddings"], config: self),
                  names: ("BertEmbeddings", "BertLayer", "BertPooler"))
    }

    /// BERT's layers (`encoder.layer.N`) and pooler (`pooler.dense`) after `embeddings`: the parts of
    /// BERT, RoBERTa and ELECTRA, with the summary's type names.
    func bertParts(path: WeightPath, layers: Int, pooler: Bool, embeddings: any EncoderEmbeddings,
                   names: (embeddings: String, layer: String, pooler: String), extraBlocks: [(String, String)] = []) -> EncoderParts {
        EncoderParts(
            embeddings: embeddings,
            layers: (0..<layers).map { BertLayer(path["encoder"]["layer"][$0], config: self) },
            pooler: pooler ? Linear(path["pooler"]["dense"], inFeatures: hiddenSize, outFeatures: hiddenSize, std: Float(initializerRange)) : nil,
            blocks: [("embeddings.", names.embeddings)] + extraBlocks + (0..<layers).map { ("encoder.layer.\($0).", names.layer) }
                + (pooler ? [("pooler.", names.pooler)] : []))
    }
}

extension EncoderConfig {
    /// A BERT configuration.
    public static func bert(_ config: BertConfig) -> EncoderConfig { EncoderConfig(config) }
}
