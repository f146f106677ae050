import ArgumentParser
import BertKit
import Foundation

/// Figure 2: sentence embeddings of a whole file at its real lengths, strings in, vectors out
/// (tokenization included), with ``SentenceEmbedder``'s length-sorted batches.
struct EmbedBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Embed every text of a data file (SST-2 dev) with SentenceEmbedder; sentences/s.",
        discussion: "Model loading is not timed; tokenization, batching, the encoder, pooling and normalisation are."
    )

    @OptionGroup var bench: BenchOptions
    @OptionGroup var input: BenchTexts
    @Option(help: "Sequences per batch.") var batchSize = 32

    func run() throws {
        try bench.apply()
        let texts = try input.read()
        var embedder = try SentenceEmbedder(model: bench.model, batchSize: batchSize)
        embedder.pooling = .mean
        let tokens = embedder.encode(texts).map(\.count)
        var dimension = 0
        let seconds = try Bench.timings(repeats: input.repeats) {
            dimension = try embedder.embed(texts).first?.count ?? 0
        }
        let best = seconds.min()!
        // A lower precision reports how close each embedding stays to the fp32 one (untimed).
        var accuracy: [String: Any] = [:]
        if Precision.current != .fp32 {
            let low = try embedder.embed(texts)
            let reference = try Precision.with(.fp32) { try embedder.embed(texts) }
            let cosines = zip(low, reference).map { Bench.cosine($0, $1) }
            accuracy["min_cosine_to_fp32"] = Bench.rounded(cosines.min() ?? 1, 6)
            accuracy["mean_cosine_to_fp32"] = Bench.rounded(cosines.reduce(0, +) / Double(max(cosines.count, 1)), 6)
        }
        try Bench.emit(figure: "embed", accuracy.merging([
            "sentences": texts.count, "batch_size": batchSize, "dimension": dimension,
            "tokens": tokens.reduce(0, +),
            "mean_tokens": Bench.rounded(Double(tokens.reduce(0, +)) / Double(max(texts.count, 1)), 2),
            "normalize": embedder.normalize,
            "seconds": seconds.map { Bench.rounded($0, 4) },
            "sentences_per_s": Bench.rounded(Double(texts.count) / best, 1),
        ]) { $1 })
    }
}
