import ArgumentParser
import BertKit
import Foundation

struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Embed stdin lines; write one JSON object per line.",
        discussion: """
            Writes {"embedding": [...]} per line, or {"tokens": [...], "hidden": [[...], ...]} with --pooling none.
            Defaults (pooling, normalisation, max length) come from the model's sentence-transformers files
            when present. Inputs are batched by length; output keeps input order.

              printf 'A cat sits.\\nA dog runs.\\n' | bertkit embed --model sentence-transformers/all-MiniLM-L6-v2
            """
    )

    enum PoolingChoice: String, ExpressibleByArgument, CaseIterable { case cls, mean, max, none }

    @OptionGroup var model: ModelOptions
    @OptionGroup var adapter: AdapterOptions
    @OptionGroup var compute: ComputeOptions
    @OptionGroup var input: InputOptions
    @Option(help: "cls, mean, max or none (every token's vector); default from the model's files, else cls.")
    var pooling: PoolingChoice?
    @Flag(inversion: .prefixedNo, help: "L2-normalise embeddings (default from the model's files).")
    var normalize: Bool?
    @Option(help: "Use hidden state K (0 = embeddings output) instead of the last layer.")
    var layer: Int?
    @Option(help: "Sequences per batch.") var batchSize = 32
    @Option(help: "Truncate to this many tokens (default: the model's max_seq_length or max_position_embeddings).")
    var maxLength: Int?

    func run() throws {
        try compute.apply()
        guard (1...65536).contains(batchSize) else { throw ValidationError("--batch-size must be in 1…65536, got \(batchSize)") }
        var embedder = try SentenceEmbedder(model: model.model, revision: model.revision, batchSize: batchSize)
        if let folder = adapter.adapter { try embedder.attachAdapter(URL(fileURLWithPath: folder)) }
        if let maxLength {
            guard maxLength > 0 && maxLength <= embedder.model.maxPositionEmbeddings else {
                throw ValidationError("--max-length must be in 1…\(embedder.model.maxPositionEmbeddings) (max_position_embeddings)")
            }
            embedder.maxLength = maxLength
        }
        if let normalize { embedder.normalize = normalize }
        embedder.layer = layer
        if let pooling, pooling != .none { embedder.pooling = Pooling(rawValue: pooling.rawValue)! }
        // A few batches at a time: bounded memory, input order kept, each window flushed.
        var reader = LineReader(strict: input.strict)
        var counter = LineCounter(label: "embed")
        let out = StandardOutput.shared
        while let lines = try reader.nextWindow(maxLines: batchSize * 4) {
            if pooling == PoolingChoice.none {
                for (tokens, vectors) in try embedder.embedTokens(lines) {
                    try out.append("{\"tokens\":[\(tokens.map(JSONText.string).joined(separator: ","))],\"hidden\":[\(vectors.map(JSONText.floats).joined(separator: ","))]}\n")
                }
            } else {
                for vector in try embedder.embed(lines) {
                    try out.append("{\"embedding\":\(JSONText.floats(vector))}\n")
                }
            }
            try out.flush()
            counter.add(lines.count)
        }
        counter.finish()
    }
}
