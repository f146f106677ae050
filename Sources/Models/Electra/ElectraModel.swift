// Mirrors transformers' ElectraModel (the discriminator, or the generator, used as an encoder):
// BERT's embeddings at `embedding_size`, `embeddings_project` when that differs from `hidden_size`,
// then BERT's layers (`encoder.layer.N`); no pooler; `base_model_prefix` "electra".
import Checkpoints
import Layers

/// `ElectraForSequenceClassification` reads the first token through `classifier.dense` + GELU.
extension ElectraConfig: BertBasedFamilyConfig {
    public static let modelTypes = ["electra"]
    public static let classNameStems = ["Electra": "electra"]

    public var traits: EncoderFamilyTraits {
        base.traits(baseModelPrefix: "electra", classPrefix: "Electra", poolerWeight: nil, poolerHead: .classificationHead(.gelu))
    }

    public func makeParts(path: WeightPath, layers: Int, pooler: Bool) -> EncoderParts {
        let narrow = BertEmbeddings(path["embeddings"], config: base, width: embeddingSize)
        let project = projectsEmbeddings
            ? Linear(path["embeddings_project"], inFeatures: embeddingSize, outFeatures: base.hiddenSize, std: Float(base.initializerRange)) : nil
        let embeddings: any EncoderEmbeddings = project.map { ProjectedEmbeddings(narrow, projection: $0) } ?? narrow
        return base.bertParts(path: path, layers: layers, pooler: false, embeddings: embeddings,
                              names: ("ElectraEmbeddings", "ElectraLayer", ""),
                              extraBlocks: projectsEmbeddings ? [("embeddings_project.", "Linear")] : [])
    }
}

extension EncoderConfig {
    /// An ELECTRA configuration.
    public static func electra(_ config: ElectraConfig) -> EncoderConfig { EncoderConfig(config) }
}
