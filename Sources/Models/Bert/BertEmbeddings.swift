// Mirrors transformers' BertEmbeddings: word + position + token type, then LayerNorm and dropout.
// ALBERT and ELECTRA use it at `embedding_size`; RoBERTa with its own position ids; DistilBERT
// without token types.
import Checkpoints
import Foundation
import Layers
import Tensor

public final class BertEmbeddings: EncoderEmbeddings {
    /// How a token's position id is found.
    public enum Positions {
        /// 0…seq−1 in every sequence (BERT).
        case absolute
        /// `padding_idx` + the token's rank among the sequence's non-padding ids; padding gets
        /// `padding_idx` (RoBERTa, fairseq's `make_positions`).
        case afterPadding(Int32)
    }

    public let wordEmbeddings: Embedding
    public let positionEmbeddings: Embedding
    /// Absent in DistilBERT, which takes no token types.
    public let tokenTypeEmbeddings: Embedding?
    public let layerNorm: LayerNorm
    public let positions: Positions
    let dropout: Dropout

    public init(_ path: WeightPath, vocabularySize: Int, width: Int, maxPositions: Int, typeVocabularySize: Int?,
                layerNormEps: Double, dropout: Double, std: Double, positions: Positions = .absolute) {
        let std = Float(std)
        wordEmbeddings = Embedding(path["word_embeddings"], count: vocabularySize, dim: width, std: std)
        positionEmbeddings = Embedding(path["position_embeddings"], count: maxPositions, dim: width, std: std)
        tokenTypeEmbeddings = typeVocabularySize.map { Embedding(path["token_type_embeddings"], count: $0, dim: width, std: std) }
        layerNorm = LayerNorm(path["LayerNorm"], size: width, eps: Float(layerNormEps))
        self.dropout = Dropout(probability: Float(dropout))
        self.positions = positions
    }

    /// BERT's embeddings at `width` (`embedding_size` for ALBERT and ELECTRA).
    public convenience init(_ path: WeightPath, config: BertConfig, width: Int? = nil, positions: Positions = .absolute) {
        self.init(path, vocabularySize: config.vocabSize, width: width ?? config.hiddenSize,
                  maxPositions: config.maxPositionEmbeddings, typeVocabularySize: config.typeVocabSize,
                  layerNormEps: config.layerNormEps, dropout: config.hiddenDropoutProb, std: config.initializerRange,
                  positions: positions)
    }

    /// Position ids, `[seq]` for absolute positions, else `[batch, seq]`.
    public func positionIds(_ inputIds: IDTensor) -> IDTensor {
        let seq = inputIds.shape[1]
        guard case .afterPadding(let pad) = positions else {
            return IDTensor(shape: [seq], ids: (0..<seq).map { Int32($0) })
        }
        var ids = [Int32](repeating: pad, count: inputIds.ids.count)
        for start in stride(from: 0, to: inputIds.ids.count, by: max(seq, 1)) {
            var rank: Int32 = 0
            for i in start..<(start + seq) where inputIds.ids[i] != pad {
                rank += 1
                ids[i] = pad + rank
            }
        }
        return IDTensor(shape: inputIds.shape, ids: ids)
    }

    /// `[batch, seq]` ids → `[batch, seq, width]`, summed in the order each family's transformers
    /// class sums them.
    public func callAsFunction(_ input: EncoderInput, _ context: ForwardContext) -> Tensor {
        let ids = positionIds(input.inputIds)
        let types = tokenTypeEmbeddings.map { $0(input.tokenTypeIds) }
        var sum = wordEmbeddings(input.inputIds)
        if case .afterPadding = positions {
            if let types { sum = sum + types }
            sum = sum + positionEmbeddings(ids)
        } else {
            sum = sum + positionEmbeddings(ids).reshaped([1, input.sequenceLength, -1])
            if let types { sum = sum + types }
        }
        return dropout(layerNorm(sum), context)
    }
}

/// Embeddings `embedding_size` wide and a dense layer to `hidden_size` (ALBERT's
/// `encoder.embedding_hidden_mapping_in`, ELECTRA's `embeddings_project`).
public final class ProjectedEmbeddings: EncoderEmbeddings {
    public let embeddings: BertEmbeddings
    public let projection: Linear

    public init(_ embeddings: BertEmbeddings, projection: Linear) {
        self.embeddings = embeddings
        self.projection = projection
    }

    public func callAsFunction(_ input: EncoderInput, _ context: ForwardContext) -> Tensor {
        projection(embeddings(input, context), context)
    }
}
