import Foundation

/// Ranking quality over a set of queries, as sentence-transformers' `InformationRetrievalEvaluator`
/// defines it (relevance is binary: a document is relevant when the judgements give it a score above 0):
///
/// - accuracy@k: the share of queries with a relevant document in their top k;
/// - recall@k: per query, the relevant documents in the top k over all its relevant documents; averaged;
/// - MRR@10: per query, 1 / the rank of the first relevant document in the top 10 (0 if none); averaged;
/// - NDCG@10: per query, Σ rel_i / log2(i + 1) over ranks i = 1…10, divided by the same sum for the ideal
///   ranking of all its relevant documents (as many ones as it has, cut at 10); averaged.
public struct RetrievalMetrics: Sendable, Equatable, Codable {
    public var queries: Int
    public var documents: Int
    public var accuracyAt1: Double, accuracyAt5: Double, accuracyAt10: Double
    public var recallAt1: Double, recallAt5: Double, recallAt10: Double
    public var mrrAt10: Double
    public var ndcgAt10: Double

    /// The deepest rank any metric reads.
    public static let depth = 10

    enum CodingKeys: String, CodingKey {
        case queries, documents
        case accuracyAt1 = "accuracy@1", accuracyAt5 = "accuracy@5", accuracyAt10 = "accuracy@10"
        case recallAt1 = "recall@1", recallAt5 = "recall@5", recallAt10 = "recall@10"
        case mrrAt10 = "mrr@10", ndcgAt10 = "ndcg@10"
    }

    /// The metrics of `rankings` (each query's document ids, best first, at least the top 10 when the
    /// corpus has them) against each query's relevant documents (never empty).
    public init(rankings: [[String]], relevant: [Set<String>], documents: Int) {
        precondition(rankings.count == relevant.count && !rankings.isEmpty, "one ranking per query, at least one query")
        var accuracy = [0.0, 0, 0], recall = [0.0, 0, 0], mrr = 0.0, ndcg = 0.0
        let cuts = [1, 5, 10]
        for (ranking, relevant) in zip(rankings, relevant) {
            precondition(!relevant.isEmpty, "a query without relevant documents is not evaluated")
            let hits = ranking.prefix(RetrievalMetrics.depth).map { relevant.contains($0) }
            for (c, k) in cuts.enumerated() {
                let found = hits.prefix(k).filter { $0 }.count
                if found > 0 { accuracy[c] += 1 }
                recall[c] += Double(found) / Double(relevant.count)
            }
            if let first = hits.firstIndex(of: true) { mrr += 1 / Double(first + 1) }
            let dcg = hits.enumerated().reduce(0.0) { $0 + ($1.element ? 1 / log2(Double($1.offset + 2)) : 0) }
            let ideal = (0..<min(relevant.count, RetrievalMetrics.depth)).reduce(0.0) { $0 + 1 / log2(Double($1 + 2)) }
            ndcg += dcg / ideal
        }
        let n = Double(rankings.count)
        queries = rankings.count
        self.documents = documents
        (accuracyAt1, accuracyAt5, accuracyAt10) = (accuracy[0] / n, accuracy[1] / n, accuracy[2] / n)
        (recallAt1, recallAt5, recallAt10) = (recall[0] / n, recall[1] / n, recall[2] / n)
        mrrAt10 = mrr / n
        ndcgAt10 = ndcg / n
    }

    /// The metrics by name (`mrr@10`, …), as the JSON output names them.
    public var values: [String: Double] {
        ["accuracy@1": accuracyAt1, "accuracy@5": accuracyAt5, "accuracy@10": accuracyAt10,
         "recall@1": recallAt1, "recall@5": recallAt5, "recall@10": recallAt10, "mrr@10": mrrAt10, "ndcg@10": ndcgAt10]
    }
}
