// Mirrors transformers' DistilBertModel: `embeddings` (word + position, no token types) and
// `transformer.layer.N` (TransformerBlock); no pooler; `base_model_prefix` "distilbert".
import Checkpoints
import Foundation
import Layers
import Tensor

/// Token type ids are not read, as transformers' DistilBertModel takes none.
/// `DistilBertForSequenceClassification` reads the first token through `pre_classifier` + ReLU.
extension DistilBertConfig: EncoderFamilyConfig {
    public static let modelTypes = ["distilbert"]
    public static let classNameStems = ["DistilBert": "distilbert"]

    public var traits: EncoderFamilyTraits {
        EncoderFamilyTraits(
            modelType: modelType, baseModelPrefix: "distilbert", classPrefix: "DistilBert", hiddenSize: dim,
            numHiddenLayers: nLayers, vocabularySize: vocabSize, typeVocabularySize: nil,
            maxSequenceLength: maxPositionEmbeddings, initializerRange: initializerRange,
            classifierDropout: seqClassifDropout, poolerWeight: nil, poolerHead: .preClassifier,
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

    public func makeParts(path: WeightPath, layers: Int, pooler: Bool) -> EncoderParts {
        let embeddings = BertEmbeddings(
            path["embeddings"], vocabularySize: vocabSize, width: dim, maxPositions: maxPositionEmbeddings, typeVocabularySize: nil,
            layerNormEps: Self.layerNormEps, dropout: dropout, std: initializerRange)
        if sinusoidalPosEmbds {
            // transformers fills the table at initialisation and saves it with the weights; a
            // checkpoint loaded afterwards overwrites it with the same values.
            let table = Self.sinusoidalTable(positions: maxPositionEmbeddings, dim: dim)
            embeddings.positionEmbeddings.weight.value.withUnsafeMutableBufferPointer { buffer in
                for i in buffer.indices { buffer[i] = table[i] }
            }
            path.store.markLoaded(embeddings.positionEmbeddings.weight.name)
        }
        return EncoderParts(
            embeddings: embeddings,
            layers: (0..<layers).map { DistilBertTransformerBlock(path["transformer"]["layer"][$0], config: self) },
            pooler: nil,
            blocks: [("embeddings.", "Embeddings")] + (0..<layers).map { ("transformer.layer.\($0).", "TransformerBlock") })
    }

    /// transformers' `create_sinusoidal_embeddings`, `[positions, dim]` row-major: for position p and
    /// column j, angle = p / 10000^(2·⌊j/2⌋/dim); even columns hold sin(angle), odd ones cos(angle).
    public static func sinusoidalTable(positions: Int, dim: Int) -> [Float] {
        var table = [Float](repeating: 0, count: positions * dim)
        for p in 0..<positions {
            for j in 0..<dim {
                let angle = Double(p) / pow(10000, Double(2 * (j / 2)) / Double(dim))
                table[p * dim + j] = Float(j % 2 == 0 ? sin(angle) : cos(angle))
            }
        }
        return table
    }
}

extension EncoderConfig {
    /// A DistilBERT configuration.
    public static func distilBert(_ config: DistilBertConfig) -> EncoderConfig { EncoderConfig(config) }
}

/// `transformer.layer.{i}` (transformers' TransformerBlock): `attention` (`q_lin`, `k_lin`, `v_lin`,
/// then `out_lin`), `sa_layer_norm` over the residual sum, `ffn` (`lin1` → activation → `lin2` →
/// dropout), `output_layer_norm` over its residual sum.
public final class DistilBertTransformerBlock: EncoderLayer {
    public let selfAttention: SelfAttention
    public let outLin: Linear
    public let saLayerNorm: LayerNorm
    public let lin1: Linear
    public let lin2: Linear
    public let activation: Activation
    public let outputLayerNorm: LayerNorm
    let dropout: Dropout

    public init(_ path: WeightPath, config: DistilBertConfig) {
        let (d, std, eps) = (config.dim, config.initializerRange, Float(DistilBertConfig.layerNormEps))
        selfAttention = SelfAttention(path["attention"], names: ["q_lin", "k_lin", "v_lin"], hidden: d, heads: config.nHeads,
                                      dropout: config.attentionDropout, std: std)
        outLin = Linear(path["attention"]["out_lin"], inFeatures: d, outFeatures: d, std: Float(std))
        saLayerNorm = LayerNorm(path["sa_layer_norm"], size: d, eps: eps)
        lin1 = Linear(path["ffn"]["lin1"], inFeatures: d, outFeatures: config.hiddenDim, std: Float(std))
        lin2 = Linear(path["ffn"]["lin2"], inFeatures: config.hiddenDim, outFeatures: d, std: Float(std))
        activation = config.activation
        dropout = Dropout(probability: Float(config.dropout))
        outputLayerNorm = LayerNorm(path["output_layer_norm"], size: d, eps: eps)
    }

    public func callAsFunction(_ x: Tensor, mask: AttentionMask, _ context: ForwardContext) -> (output: Tensor, probabilities: [Tensor]) {
        let (heads, probabilities) = selfAttention(x, mask: mask, context)
        let normed = saLayerNorm(outLin, heads, residual: x, context)
        let output = outputLayerNorm(lin2, activation(lin1, normed, context), dropout: dropout, residual: normed, context)
        return (output, [probabilities])
    }
}
