// Mirrors transformers' BertEmbeddings: word + position + token type, then LayerNorm and dropout.
import Checkpoints
import Layers
import Tensor

public final class BertEmbeddings {
    public let wordEmbeddings: Embedding
    public let positionEmbeddings: Embedding
    public let tokenTypeEmbeddings: Embedding
    public let layerNorm: LayerNorm
    let dropout: Dropout

    public init(_ path: WeightPath, config: BertConfig) {
        let std = Float(config.initializerRange)
        wordEmbeddings = Embedding(path["word_embeddings"], count: config.vocabSize, dim: config.hiddenSize, std: std)
        positionEmbeddings = Embedding(path["position_embeddings"], count: config.maxPositionEmbeddings, dim: config.hiddenSize, std: std)
        tokenTypeEmbeddings = Embedding(path["token_type_embeddings"], count: config.typeVocabSize, dim: config.hiddenSize, std: std)
        layerNorm = LayerNorm(path["LayerNorm"], size: config.hiddenSize, eps: Float(config.layerNormEps))
        dropout = Dropout(path, probability: Float(config.hiddenDropoutProb))
    }

    /// `[batch, seq]` ids → `[batch, seq, hidden]`, with absolute positions 0…seq−1.
    public func callAsFunction(_ input: EncoderInput) -> Tensor {
        let (batch, seq) = (input.batchSize, input.sequenceLength)
        let positions = IDTensor(shape: [seq], ids: (0..<seq).map { Int32($0) })
        let words = wordEmbeddings(input.inputIds)
        let sum = words + positionEmbeddings(positions).reshaped([1, seq, -1]) + tokenTypeEmbeddings(input.tokenTypeIds)
        precondition(sum.shape == [batch, seq, wordEmbeddings.dim])
        return dropout(layerNorm(sum))
    }
}
