import ArgumentParser
import BertKit
import Foundation

/// Question-answering fine-tuning throughput (SQuAD windows per second), for scripts/bench/run's
/// `qa` figure.
///
/// The windows are `bertkit train --task qa`'s (max length 384, doc stride 128, answers pointed at
/// as run_qa does); batches of windows come from ``Bench/permutation(count:seed:)`` so that
/// `pytorch_bench.py qa` trains AutoModelForQuestionAnswering on exactly the same batches, each
/// padded to its longest. The step is the trainer's: loss with dropout on, backward, clipping at 1,
/// AdamW with weight decay 0.01 and a linear schedule.
struct QuestionAnsweringBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qa",
        abstract: "Fine-tune for question answering on random batches of SQuAD windows; windows/s.",
        discussion: "Warm-up steps are not timed. Windows are made before any step."
    )

    @OptionGroup var bench: BenchOptions
    @OptionGroup var loop: BenchLoop
    @Option(help: "Window length in tokens.") var maxLength = 384
    @Option(help: "Tokens shared by consecutive windows.") var docStride = 128

    func run() throws {
        try bench.apply()
        let (data, batchSize) = (loop.data, loop.batchSize ?? 16)
        let dataset = try QuestionDataset.read(URL(fileURLWithPath: data))
        let tokenizer = try Tokenizer.load(bench.model)
        let windows = try PreparedData.questions(dataset.examples, source: data, tokenizer: tokenizer,
                                                 settings: WindowSettings(maxLength: maxLength, docStride: docStride), labelled: true)
        let batches = try loop.batches(of: windows.count, batchSize: batchSize, what: "\(data) makes windows:")
        let model = try TransferModel.pretrained(bench.model, head: HeadSettings(task: .questionAnswering, labels: []), mode: .fineTuning, seed: loop.seed)
        let (stepSeconds, losses, lengths) = try loop.train(model, lr: loop.lr ?? 5e-5, steps: batches.count) { step in
            let input = windows.input(batches[step])
            return (input, windows.batchTargets(batches[step], length: input.sequenceLength)!, batches[step].map { windows.encodings[$0].count })
        }
        let timed = stepSeconds.reduce(0, +)
        try Bench.emit(figure: "qa", [
            "batch_size": batchSize, "warmup_steps": loop.warmup, "steps": loop.steps, "seed": Int(loop.seed), "windows": windows.count,
            "padded_tokens": Bench.paddedTokens(lengths), "tokens": lengths.joined().reduce(0, +),
            "seconds": Bench.rounded(timed, 3),
            "windows_per_s": Bench.rounded(Double(loop.steps * batchSize) / timed, 2),
            "first_loss": Bench.rounded(losses.first ?? .nan, 4), "last_loss": Bench.rounded(losses.last ?? .nan, 4),
        ])
    }
}
