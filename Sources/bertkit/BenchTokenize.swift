import ArgumentParser
import BertKit
import Foundation

/// Figure 7: tokenizer throughput, `Tokenizer.encodeBatch` over every text of a data file, with
/// special tokens, offsets, no padding and no truncation (as `tokenizers`' `encode_batch`).
struct TokenizeBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Tokenize every text of a data file (SST-2 train) with encodeBatch; sentences/s.",
        discussion: "encodeBatch splits the texts over Dispatch's concurrentPerform, whose width is the number of cores."
    )

    @OptionGroup var bench: BenchOptions
    @Option(help: "A TSV with a header row, label then text (SST-2's train.tsv).") var data: String
    @Option(help: "Timed repetitions inside this process (the driver keeps the best).") var repeats = 5

    func run() throws {
        try bench.apply()
        guard repeats > 0 else { throw ValidationError("--repeats must be positive") }
        let texts = try Bench.readSST2(data).examples.map(\.text)
        var tokenizer = try Tokenizer.load(bench.model)
        tokenizer.truncation = nil
        tokenizer.padding = nil
        var tokens = 0
        let seconds = Bench.timings(repeats: repeats) {
            tokens = tokenizer.encodeBatch(texts).reduce(0) { $0 + $1.count }
        }
        try Bench.emit(figure: "tokenize", [
            "sentences": texts.count, "tokens": tokens,
            "seconds": seconds.map { Bench.rounded($0, 4) },
            "sentences_per_s": Bench.rounded(Double(texts.count) / seconds.min()!, 0),
        ])
    }
}
