// Mirrors transformers' RobertaEmbeddings (and XLMRobertaEmbeddings): BERT's embeddings with position
// ids that start after the padding token and skip padding.
import Checkpoints
import Layers
import Tensor

/// `embeddings`: word + position + token type, then LayerNorm and dropout, as in BERT, but a token's
/// position id is `padding_idx` + its rank among the sequence's non-padding tokens, and padding gets
/// `padding_idx` itself (fairseq's `make_positions`).
public final class RobertaEmbeddings {
    public let wordEmbeddings: Embedding
    public let positionEmbeddings: Embedding
    public let tokenTypeEmbeddings: Embedding
    public let layerNorm: LayerNorm
    /// `pad_token_id`: padding ids are found in the input ids, not the attention mask.
    public let paddingIndex: Int32
    let dropout: Dropout

    public init(_ path: WeightPath, config: RobertaConfig) {
        let (h, std) = (config.hiddenSize, Float(config.initializerRange))
        wordEmbeddings = Embedding(path["word_embeddings"], count: config.vocabSize, dim: h, std: std)
        tokenTypeEmbeddings = Embedding(path["token_type_embeddings"], count: config.typeVocabSize, dim: h, std: std)
        layerNorm = LayerNorm(path["LayerNorm"], size: h, eps: Float(config.layerNormEps))
        dropout = Dropout(path, probability: Float(config.hiddenDropoutProb))
        paddingIndex = Int32(config.paddingIndex)
        positionEmbeddings = Embedding(path["position_embeddings"], count: config.maxPositionEmbeddings, dim: h, std: std)
    }

    /// Position ids `[batch, seq]`: cumsum(ids ≠ pad) · (ids ≠ pad) + pad, per sequence.
    public func positionIds(_ inputIds: IDTensor) -> IDTensor {
        let seq = inputIds.shape[1]
        var positions = [Int32](repeating: paddingIndex, count: inputIds.ids.count)
        for start in stride(from: 0, to: inputIds.ids.count, by: max(seq, 1)) {
            var rank: Int32 = 0
            for i in start..<(start + seq) where inputIds.ids[i] != paddingIndex {
                rank += 1
                positions[i] = paddingIndex + rank
            }
        }
        return IDTensor(shape: inputIds.shape, ids: positions)
    }

    /// `[batch, seq]` ids → `[batch, seq, hidden]`.
    public func callAsFunction(_ input: EncoderInput) -> Tensor {
        let sum = wordEmbeddings(input.inputIds) + tokenTypeEmbeddings(input.tokenTypeIds)
            + positionEmbeddings(positionIds(input.inputIds))
        return dropout(layerNorm(sum))
    }
}
