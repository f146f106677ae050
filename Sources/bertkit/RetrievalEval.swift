import ArgumentParser
import BertKit
import Foundation

/// `bertkit eval --task retrieval`.
struct RetrievalOptions: ParsableArguments {
    @Option(help: "retrieval: --data is a BEIR folder (corpus.jsonl, queries.jsonl, qrels/test.tsv) and --model an embedding model; prints recall@1/5/10, MRR@10 and NDCG@10. Other tasks come from the model folder.")
    var task: String?
    @Option(help: "retrieval: cosine (default, sentence-transformers' InformationRetrievalEvaluator) or dot.")
    var similarity: String = "cosine"
    @Option(help: "retrieval: documents embedded at a time (memory is this many vectors, the queries' and 10 hits a query).")
    var corpusBatchSize = 1024
    @Option(help: "retrieval: pool hidden state K (0 = embeddings output) instead of the last layer's: the lower K layers as an embedder.")
    var layer: Int?

    /// Whether --task asks for retrieval (any other value is refused).
    func asksForRetrieval() throws -> Bool {
        guard let task else { return false }
        guard task == "retrieval" else { throw ValidationError("--task \(task): eval takes only --task retrieval; other tasks come from the model folder") }
        return true
    }

    func run(model: String, adapter: String?, data: String) throws {
        guard let chosen = RetrievalEvaluator.Similarity(rawValue: similarity) else {
            throw ValidationError("--similarity must be cosine or dot, got \(similarity)")
        }
        guard corpusBatchSize > 0 else { throw ValidationError("--corpus-batch-size must be positive") }
        let folder = try BEIRFolder(URL(fileURLWithPath: data))
        var embedder = try SentenceEmbedder(model: model)
        embedder.layer = layer
        if let adapter { try embedder.attachAdapter(URL(fileURLWithPath: adapter)) }
        var bar: ProgressBar?
        let evaluator = RetrievalEvaluator(similarity: chosen, corpusBatchSize: corpusBatchSize)
        let metrics = try evaluator.evaluate(folder, progress: { done in
            if bar == nil { bar = ProgressBar(total: folder.documentCount, label: "corpus", minimumTotal: 1) }
            bar!.update(done)
        }) { try embedder.embed($0) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        print(String(decoding: try encoder.encode(metrics), as: UTF8.self))
    }
}
