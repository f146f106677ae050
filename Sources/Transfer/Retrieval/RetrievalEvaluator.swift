import Foundation
import Tensor

/// Exact nearest-neighbour retrieval over a BEIR folder, in bounded memory: the queries are embedded
/// once; the corpus is streamed and embedded `corpusBatchSize` documents at a time, each batch scored
/// against every query with one matrix product, and each query keeps its best 10 in a heap
/// (``TopHits``). Memory is the queries' vectors, one batch of documents and 10 hits per query.
///
/// ```swift
/// let folder = try BEIRFolder(URL(fileURLWithPath: "squad-dev-beir"))
/// let metrics = try RetrievalEvaluator().evaluate(folder) { texts in try embedder.embed(texts) }
/// ```
public struct RetrievalEvaluator {
    /// How queries and documents are compared.
    public enum Similarity: String, Sendable, CaseIterable {
        /// The cosine of the angle (vectors scaled to unit length first): sentence-transformers' default.
        case cosine
        /// The plain dot product.
        case dot
    }

    public var similarity: Similarity
    /// Documents embedded at a time.
    public var corpusBatchSize: Int

    public init(similarity: Similarity = .cosine, corpusBatchSize: Int = 1024) {
        self.similarity = similarity
        self.corpusBatchSize = corpusBatchSize
    }

    /// Ranks the corpus for every query and scores the rankings.
    ///
    /// - Parameters:
    ///   - embed: one vector per text, all of the same size.
    ///   - progress: called with the documents done so far.
    public func evaluate(_ folder: BEIRFolder, progress: ((Int) -> Void)? = nil,
                         embed: ([String]) throws -> [[Float]]) throws -> RetrievalMetrics {
        let rankings = try rank(folder, progress: progress, embed: embed)
        return RetrievalMetrics(rankings: rankings.map { $0.map(\.id) },
                                relevant: folder.queries.map { folder.relevant[$0.id]! }, documents: folder.documentCount)
    }

    /// Each query's best `RetrievalMetrics.depth` documents, best first.
    func rank(_ folder: BEIRFolder, progress: ((Int) -> Void)?, embed: ([String]) throws -> [[Float]]) throws -> [[TopHits.Hit]] {
        let queries = try matrix(embed(folder.queries.map(\.text)))
        var top = [TopHits](repeating: TopHits(k: RetrievalMetrics.depth), count: folder.queries.count)
        var done = 0
        try folder.documents(batchSize: corpusBatchSize) { ids, texts in
            let documents = try matrix(embed(texts))
            guard documents.shape[1] == queries.shape[1] else {
                throw TransferError.invalidSetting("documents embed to \(documents.shape[1]) numbers, queries to \(queries.shape[1])")
            }
            // [queries, dim] · [documents, dim]ᵀ = [queries, documents]
            let scores = withNoGrad { queries.matmul(documents, transposeOther: true) }.scalars
            let n = ids.count
            for q in top.indices {
                let row = q * n
                for d in 0..<n where top[q].admits(scores[row + d]) {
                    top[q].insert(TopHits.Hit(score: scores[row + d], id: ids[d]))
                }
            }
            done += n
            progress?(done)
        }
        return top.map(\.ranked)
    }

    /// Rows of vectors as a `[rows, dim]` tensor, scaled to unit length for cosine similarity.
    func matrix(_ vectors: [[Float]]) throws -> Tensor {
        guard let dim = vectors.first?.count, vectors.allSatisfy({ $0.count == dim }) else {
            throw TransferError.invalidSetting("the embedder returned vectors of different sizes")
        }
        let t = Tensor(shape: [vectors.count, dim], scalars: vectors.flatMap { $0 })
        return similarity == .cosine ? withNoGrad { t.l2Normalized() } : t
    }
}
