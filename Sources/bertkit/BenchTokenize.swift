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
    @OptionGroup var input: BenchTexts

    func run() throws {
        try bench.apply()
        let texts = try input.read()
        var tokenizer = try Tokenizer.load(bench.model)
        tokenizer.truncation = nil
        tokenizer.padding = nil
        var tokens = 0
        let seconds = Bench.timings(repeats: input.repeats) {
            tokens = tokenizer.encodeBatch(texts).reduce(0) { $0 + $1.count }
        }
        try Bench.emit(figure: "tokenize", [
            "sentences": texts.count, "tokens": tokens,
            "seconds": seconds.map { Bench.rounded($0, 4) },
            "sentences_per_s": Bench.rounded(Double(texts.count) / seconds.min()!, 0),
        ])
    }
}
