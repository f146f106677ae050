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
    @Option(help: "A SQuAD JSON file (train.json).") var data: String
    @Option(help: "Windows per batch.") var batchSize = 16
    @Option(help: "Untimed steps first.") var warmup = 3
    @Option(help: "Timed steps.") var steps = 20
    @Option(help: "Peak learning rate.") var lr = 5e-5
    @Option(help: "Window length in tokens.") var maxLength = 384
    @Option(help: "Tokens shared by consecutive windows.") var docStride = 128
    @Option(help: "Seed of the batch order (shared with pytorch_bench.py), the head and dropout.") var seed: UInt64 = 0

    func run() throws {
        try bench.apply()
        guard steps > 0 && warmup >= 0 && batchSize > 0 else { throw ValidationError("--steps and --batch-size must be positive") }
        let dataset = try QuestionDataset.read(URL(fileURLWithPath: data))
        let tokenizer = try Tokenizer.load(bench.model)
        let windows = try PreparedData.questions(dataset.examples, source: data, tokenizer: tokenizer,
                                                 settings: WindowSettings(maxLength: maxLength, docStride: docStride), labelled: true)
        let total = warmup + steps
        let chosen = Array(Bench.permutation(count: windows.count, seed: seed).prefix(total * batchSize))
        guard chosen.count == total * batchSize else {
            throw ValidationError("\(data) makes \(windows.count) windows; \(total) batches of \(batchSize) need \(total * batchSize)")
        }
        let model = try TransferModel.pretrained(bench.model, head: HeadSettings(task: .questionAnswering, labels: []), mode: .fineTuning, seed: seed)
        let warmupSteps = Int((Double(total) * 0.1).rounded(.up))
        let optimizer = AdamW(model.store.parameters.filter(\.trainable),
                              schedule: .linear(peak: lr, warmupSteps: warmupSteps, totalSteps: total), weightDecay: 0.01)
        var stepSeconds: [Double] = [], losses: [Double] = [], batches: [[Int]] = []
        for step in 0..<total {
            let indices = Array(chosen[(step * batchSize)..<((step + 1) * batchSize)])
            let input = windows.input(indices)
            let targets = windows.batchTargets(indices, length: input.sequenceLength)!
            let seconds = try Bench.time {
                let context = ForwardContext.training(RandomStream(seed: UInt64(step)))
                let loss = model.loss(logits: try model.logits(input, context: context), targets: targets)
                losses.append(Double(loss.item))
                loss.backward()
                optimizer.step(gradientScale: clipCoefficient(norm: optimizer.gradientNorm(), maxNorm: 1))
            }
            if step >= warmup {
                stepSeconds.append(seconds)
                batches.append(indices.map { windows.encodings[$0].count })
            }
        }
        let timed = stepSeconds.reduce(0, +)
        try Bench.emit(figure: "qa", [
            "batch_size": batchSize, "warmup_steps": warmup, "steps": steps, "seed": Int(seed), "windows": windows.count,
            "padded_tokens": Bench.paddedTokens(batches), "tokens": batches.joined().reduce(0, +),
            "seconds": Bench.rounded(timed, 3),
            "windows_per_s": Bench.rounded(Double(steps * batchSize) / timed, 2),
            "first_loss": Bench.rounded(losses.first ?? .nan, 4), "last_loss": Bench.rounded(losses.last ?? .nan, 4),
        ])
    }
}
