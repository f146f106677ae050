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

    /// `--pooling`: one of ``Pooling``'s ways over token vectors, or `none` for every token's vector.
    struct PoolingOption: ExpressibleByArgument {
        /// `nil` for `none`.
        var pooling: Pooling?

        init?(argument: String) {
            if argument == "none" { pooling = nil; return }
            guard let pooling = Pooling(rawValue: argument), pooling != .pooler else { return nil }
            self.pooling = pooling
        }

        static var allValueStrings: [String] { Pooling.allCases.filter { $0 != .pooler }.map(\.rawValue) + ["none"] }
    }

    @OptionGroup var model: ModelOptions
    @OptionGroup var adapter: AdapterOptions
    @OptionGroup var compute: ComputeOptions
    @OptionGroup var input: InputOptions
    @Option(help: "cls, mean, max or none (every token's vector); default from the model's files, else cls.")
    var pooling: PoolingOption?
    @Flag(inversion: .prefixedNo, help: "L2-normalise embeddings (default from the model's files).")
    var normalize: Bool?
    @Option(help: "Use hidden state K (0 = embeddings output) instead of the last layer.")
    var layer: Int?
    @Option(help: "Sequences per batch.") var batchSize = 32
    @Option(help: "Truncate to this many tokens (default: the model's max_seq_length or max_position_embeddings).")
    var maxLength: Int?
    @Option(name: .customLong("input"), help: "Read the lines from this file (default: stdin). Needed under mpirun.")
    var inputFile: String?
    @Option(name: .customLong("output"), help: "Write to this file, whole or not at all (default: stdout).")
    var outputFile: String?

    func run() throws {
        try compute.apply()
        guard (1...65536).contains(batchSize) else { throw ValidationError("--batch-size must be in 1…65536, got \(batchSize)") }
        let (base, adapterFolder) = try adapter.resolve(model: model.model, revision: model.revision)
        if let outputFile {
            let folder = try ModelLocation.resolve(base, revision: model.revision)
            try OutputGuard.check("--output", outputFile, against: [("--input", inputFile), ("--model", folder.path), ("--adapter", adapterFolder)])
        }
        var embedder = try SentenceEmbedder(model: base, revision: model.revision, batchSize: batchSize)
        if let adapterFolder { try embedder.attachAdapter(URL(fileURLWithPath: adapterFolder)) }
        if let maxLength {
            guard maxLength > 0 && maxLength <= embedder.model.maxPositionEmbeddings else {
                throw ValidationError("--max-length must be in 1…\(embedder.model.maxPositionEmbeddings) (max_position_embeddings)")
            }
            embedder.maxLength = maxLength
        }
        if let normalize { embedder.normalize = normalize }
        embedder.layer = layer
        if let chosen = pooling?.pooling { embedder.pooling = chosen }
        let ranks = try Communicator.world()
        try checkRanksAgree(ranks, model: try ModelLocation.resolve(base, revision: model.revision),
                            files: [("--input", inputFile), ("--adapter folder", adapterFolder.map { $0 + "/adapter_model.safetensors" })])
        let reader = try LineReader(inputFile: inputFile, options: input, ranks: ranks)
        let embed = { (lines: [String]) throws -> String in
            var text = ""
            if let pooling, pooling.pooling == nil {
                for (tokens, vectors) in try embedder.embedTokens(lines) {
                    text += "{\"tokens\":[\(tokens.map(JSONWriter.string).joined(separator: ","))],\"hidden\":[\(vectors.map(JSONWriter.floats).joined(separator: ","))]}\n"
                }
            } else {
                for vector in try embedder.embed(lines) { text += "{\"embedding\":\(JSONWriter.floats(vector))}\n" }
            }
            return text
        }
        if let outputFile, ranks.isLeader {
            try AtomicFile.write(to: URL(fileURLWithPath: outputFile)) { file in
                try embedWindows(reader, ranks: ranks, embed: embed) { text in try file.write(text) }
            }
        } else {
            let out = StandardOutput.shared
            try embedWindows(reader, ranks: ranks, embed: embed) { text in
                try out.append(text)
                try out.flush()
            }
        }
    }

    /// A few batches at a time: bounded memory, input order kept, each window written. Under mpirun
    /// every rank reads the same windows and rank r embeds the r-th of each round of `size`: the very
    /// windows one process makes, so the same batches and the same bytes. Rank 0 writes them in order.
    func embedWindows(_ reader: LineReader, ranks: Communicator, embed: ([String]) throws -> String,
                      write: (String) throws -> Void) throws {
        var reader = reader
        var counter = LineCounter(label: "embed")
        var ended = false
        while !ended {
            var round: [[String]] = []
            while round.count < ranks.size, let lines = try reader.nextWindow(maxLines: batchSize * 4) { round.append(lines) }
            ended = round.count < ranks.size
            if round.isEmpty { break }
            let text = ranks.rank < round.count ? try embed(round[ranks.rank]) : ""
            if let parts = try ranks.gatherBytes(Array(text.utf8)) {
                for part in parts { try write(String(decoding: part, as: UTF8.self)) }
            }
            if ranks.isLeader { counter.add(round.reduce(0) { $0 + $1.count }) }
        }
        counter.finish()
    }
}
