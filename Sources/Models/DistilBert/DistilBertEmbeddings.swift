// Mirrors transformers' DistilBERT `Embeddings`: word + position (no token types), LayerNorm, dropout.
import Checkpoints
import Foundation
import Layers
import Tensor

/// `embeddings`: word and learned (or fixed sinusoidal) position embeddings, LayerNorm (eps 1e-12)
/// and dropout. DistilBERT has no token type embeddings.
public final class DistilBertEmbeddings {
    public let wordEmbeddings: Embedding
    public let positionEmbeddings: Embedding
    public let layerNorm: LayerNorm
    let dropout: Dropout

    public init(_ path: WeightPath, config: DistilBertConfig) {
        let std = Float(config.initializerRange)
        wordEmbeddings = Embedding(path["word_embeddings"], count: config.vocabSize, dim: config.dim, std: std)
        positionEmbeddings = Embedding(path["position_embeddings"], count: config.maxPositionEmbeddings, dim: config.dim, std: std)
        layerNorm = LayerNorm(path["LayerNorm"], size: config.dim, eps: Float(DistilBertConfig.layerNormEps))
        dropout = Dropout(path, probability: Float(config.dropout))
        if config.sinusoidalPosEmbds {
            // transformers fills the table at initialisation and saves it with the weights; a
            // checkpoint loaded afterwards overwrites it with the same values.
            let table = Self.sinusoidalTable(positions: config.maxPositionEmbeddings, dim: config.dim)
            positionEmbeddings.weight.value.withUnsafeMutableBufferPointer { buffer in
                for i in buffer.indices { buffer[i] = table[i] }
            }
            path.store.markLoaded(positionEmbeddings.weight.name)
        }
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

    /// `[batch, seq]` ids → `[batch, seq, dim]`, with absolute positions 0…seq−1.
    public func callAsFunction(_ inputIds: IDTensor) -> Tensor {
        let seq = inputIds.shape[1]
        let positions = IDTensor(shape: [seq], ids: (0..<seq).map { Int32($0) })
        return dropout(layerNorm(wordEmbeddings(inputIds) + positionEmbeddings(positions).reshaped([1, seq, -1])))
    }
}
