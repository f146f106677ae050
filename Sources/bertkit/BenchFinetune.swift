import ArgumentParser
import BertKit
import Foundation

/// Figure 3: full fine-tuning throughput, training examples per second.
///
/// The loop is ``Trainer``'s step (loss with dropout on, backward, clip to norm 1, AdamW with
/// weight decay 0.01 and a linear schedule) over ``TransferModel`` with a mean-pooling linear head,
/// but the batches come from ``Bench/permutation(count:seed:)`` so that `pytorch_bench.py`
/// trains on exactly the same batches, each padded to its longest. `--layers K` fine-tunes only
/// the embeddings and the lowest K layers (extract layers, `--mode layers:K`).
struct FinetuneBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finetune",
        abstract: "Fine-tune the whole model on random batches of a data file (SST-2 train); examples/s.",
        discussion: "Warm-up steps are not timed. Tokenization of the chosen examples happens before any step."
    )

    @OptionGroup var bench: BenchOptions
    @Option(help: "A TSV with a header row, label then text (SST-2's train.tsv).") var data: String
    @Option(help: "Sequences per batch.") var batchSize = 32
    @Option(help: "Untimed steps first.") var warmup = 5
    @Option(help: "Timed steps.") var steps = 60
    @Option(help: "Peak learning rate.") var lr = 5e-5
    @Option(help: "Truncate inputs to this many tokens.") var maxLength = 128
    @Option(help: "Seed of the batch order (shared with pytorch_bench.py), the head and dropout.") var seed: UInt64 = 0
    @Option(help: "Keep only the lowest K encoder layers (extract layers), all fine-tuned.") var layers: Int?

    func run() throws {
        try bench.apply()
        guard steps > 0 && warmup >= 0 && batchSize > 0 else { throw ValidationError("--steps and --batch-size must be positive") }
        let dataset = try Bench.readSST2(data)
        let labels = LabelSet(dataset.labelSet().labels)
        let ids = try dataset.labelIDs(in: labels)
        let total = warmup + steps
        let chosen = Array(Bench.permutation(count: dataset.count, seed: seed).prefix(total * batchSize))
        guard chosen.count == total * batchSize else {
            throw ValidationError("\(data) has \(dataset.count) examples; \(total) batches of \(batchSize) need \(total * batchSize)")
        }
        var tokenizer = try Tokenizer.load(bench.model)
        tokenizer.truncation = Truncation(maxLength: maxLength)
        tokenizer.padding = nil
        let encodings = tokenizer.encodeBatch(chosen.map { dataset.examples[$0].text })

        let head = HeadSettings(task: .classification, labels: labels.labels, pooling: .mean)
        let mode: TransferMode = layers.map { .extractLayers($0, frozen: false) } ?? .fineTuning
        let model = try TransferModel.pretrained(bench.model, head: head, mode: mode, seed: seed)
        let warmupSteps = Int((Double(total) * 0.1).rounded(.up))
        let optimizer = AdamW(model.store.parameters.filter(\.trainable),
                              schedule: .linear(peak: lr, warmupSteps: warmupSteps, totalSteps: total), weightDecay: 0.01)

        var stepSeconds: [Double] = [], losses: [Double] = [], batches: [[Int]] = []
        for step in 0..<total {
            let range = (step * batchSize)..<((step + 1) * batchSize)
            let batch = Array(encodings[range])
            let input = EncoderInput(sequences: batch.map(\.ids), typeIds: batch.map(\.typeIds))
            let targets = Targets.classes(IDTensor(shape: [batchSize], ids: range.map { Int32(ids[chosen[$0]]) }))
            let seconds = try Bench.time {
                let context = ForwardContext.training(RandomStream(seed: UInt64(step)))
                let loss = model.loss(logits: try model.logits(input, context: context), targets: targets)
                losses.append(Double(loss.item))
                loss.backward()
                // As the trainer does: clipping applied by AdamW as it reads each gradient.
                optimizer.step(gradientScale: clipCoefficient(norm: optimizer.gradientNorm(), maxNorm: 1))
            }
            if step >= warmup {
                stepSeconds.append(seconds)
                batches.append(batch.map(\.count))
            }
        }
        let timed = stepSeconds.reduce(0, +)
        try Bench.emit(figure: "finetune", [
            "batch_size": batchSize, "warmup_steps": warmup, "steps": steps, "seed": Int(seed),
            "layers": model.encoder.layerCount,
            "trainable_parameters": model.store.parameters.filter(\.trainable).reduce(0) { $0 + $1.count },
            "padded_tokens": Bench.paddedTokens(batches),
            "tokens": batches.joined().reduce(0, +),
            "seconds": Bench.rounded(timed, 3),
            "step_seconds_median": Bench.rounded(stepSeconds.sorted()[stepSeconds.count / 2], 4),
            "examples_per_s": Bench.rounded(Double(steps * batchSize) / timed, 2),
            "first_loss": Bench.rounded(losses.first ?? .nan, 4), "last_loss": Bench.rounded(losses.last ?? .nan, 4),
        ])
    }
}
