import Tensor

/// sentence-transformers' `MultipleNegativesRankingLoss` (Henderson et al., 2017): for each anchor, its
/// positive must outscore every other candidate of the batch, the other anchors' positives and every
/// hard negative. With `a` the anchors' vectors `[B, d]` and `c` the candidates `[B·(1+h), d]` (the B
/// positives, then the B hard negatives of each of h negative columns):
///
///     scores = scale · cos(a, c)                 [B, B·(1+h)]
///     loss   = cross-entropy(scores, targets 0…B−1)
///
/// `symmetric` adds the other direction, positives to anchors (`MultipleNegativesSymmetricRankingLoss`):
/// `(loss(a → c) + loss(p → a)) / 2`.
public struct MultipleNegativesRankingLoss: Sendable, Equatable {
    /// The inverse temperature on the cosine similarities (sentence-transformers' default 20).
    public var scale: Float
    public var symmetric: Bool

    public init(scale: Float = 20, symmetric: Bool = false) {
        self.scale = scale
        self.symmetric = symmetric
    }

    /// - Parameters:
    ///   - anchors: `[B, d]`.
    ///   - candidates: `[B·(1+h), d]`: the positives first, row i the positive of anchor i.
    public func callAsFunction(anchors: Tensor, candidates: Tensor) -> Tensor {
        let batch = anchors.shape[0]
        precondition(candidates.shape[0] >= batch && candidates.shape[0] % batch == 0,
                     "candidates \(candidates.shape) for \(batch) anchors")
        let a = anchors.l2Normalized(), c = candidates.l2Normalized()
        let targets = IDTensor(shape: [batch], ids: (0..<Int32(batch)).map { $0 })
        let forward = a.matmul(c, transposeOther: true).scaled(scale).crossEntropy(targets: targets)
        guard symmetric else { return forward }
        let positives = batch == c.shape[0] ? c : c.sliced(axis: 0, 0..<batch)
        let backward = positives.matmul(a, transposeOther: true).scaled(scale).crossEntropy(targets: targets)
        return (forward + backward).scaled(0.5)
    }
}
