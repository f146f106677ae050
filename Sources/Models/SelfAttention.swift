// The query, key and value projections and multi-head attention every family shares: transformers'
// BertSelfAttention, the first half of AlbertAttention, DistilBERT's MultiHeadSelfAttention.
import Layers
import Tensor

/// Query, key and value projections under the names a family's checkpoint gives them, then
/// multi-head scaled dot-product attention. The output projection is the family's own.
public final class SelfAttention {
    public let query: Linear
    public let key: Linear
    public let value: Linear
    public let heads: Int
    let dropoutProbability: Float

    /// - Parameter names: the projections' path segments (`query`, `key`, `value`; DistilBERT's
    ///   `q_lin`, `k_lin`, `v_lin`).
    public init(_ path: WeightPath, names: [String] = ["query", "key", "value"], hidden: Int, heads: Int,
                dropout: Double, std: Double) {
        let (q, k, v) = (names[0], names[1], names[2])
        query = Linear(path[q], inFeatures: hidden, outFeatures: hidden, std: Float(std))
        key = Linear(path[k], inFeatures: hidden, outFeatures: hidden, std: Float(std))
        value = Linear(path[v], inFeatures: hidden, outFeatures: hidden, std: Float(std))
        self.heads = heads
        dropoutProbability = Float(dropout)
    }

    /// `[batch, seq, hidden]` (or packed `[tokens, hidden]`) → the heads' output of the same shape,
    /// and the attention probabilities.
    ///
    /// The three projections write one `[tokens, 3·hidden]` result side by side
    /// (``Tensor/linear(weights:biases:)``), so attention reads q, k and v in place and no weight
    /// is copied. The parameters stay separate, as the checkpoint names them. With a LoRA adapter
    /// on a projection, each runs as its own layer (base + Δ).
    public func callAsFunction(_ x: Tensor, mask: AttentionMask, _ context: ForwardContext) -> (output: Tensor, probabilities: Tensor) {
        let (dropout, training, discards) = (dropoutProbability, context.training, context.discardsAttentionProbabilities)
        let adapted = query.adapter != nil || key.adapter != nil || value.adapter != nil
        guard !adapted, let qb = query.bias?.value, let kb = key.bias?.value, let vb = value.bias?.value else {
            let attended = Tensor.attention(
                query: query(x, context), key: key(x, context), value: value(x, context), layout: mask, heads: heads,
                dropout: dropout, training: training, generator: &context.random.generator, discardsProbabilities: discards)
            return (attended.context, attended.probabilities)
        }
        let qkv = x.linear(weights: [query.weight.value, key.weight.value, value.weight.value], biases: [qb, kb, vb])
        let attended = Tensor.attention(qkv: qkv, layout: mask, heads: heads, dropout: dropout, training: training,
                                        generator: &context.random.generator, discardsProbabilities: discards)
        return (attended.context, attended.probabilities)
    }
}
