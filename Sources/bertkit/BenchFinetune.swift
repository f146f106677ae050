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
    @OptionGroup var loop: BenchLoop
    @Option(help: "Truncate inputs to this many tokens.") var maxLength = 128
    @Option(help: "Keep only the lowest K encoder layers (extract layers), all fine-tuned.") var layers: Int?

    func run() throws {
        try bench.apply()
        let (data, batchSize) = (loop.data, loop.batchSize ?? 32)
        let dataset = try Bench.readSST2(data)
        let labels = LabelSet(dataset.labelSet().labels)
        let ids = try dataset.labelIDs(in: labels)
        let batches = try loop.batches(of: dataset.count, batchSize: batchSize, what: "\(data) has")
        var tokenizer = try Tokenizer.load(bench.model)
        tokenizer.truncation = Truncation(maxLength: maxLength)
        tokenizer.padding = nil
        let encodings = tokenizer.encodeBatch(batches.joined().map { dataset.examples[$0].text })

        let head = HeadSettings(task: .classification, labels: labels.labels, pooling: .mean)
        let mode: TransferMode = layers.map { .extractLayers($0, frozen: false) } ?? .fineTuning
        let model = try TransferModel.pretrained(bench.model, head: head, mode: mode, seed: loop.seed)
        let (stepSeconds, losses, lengths) = try loop.train(model, lr: loop.lr ?? 5e-5, steps: batches.count) { step in
            let batch = Array(encodings[(step * batchSize)..<((step + 1) * batchSize)])
            let input = EncoderInput(sequences: batch.map(\.ids), typeIds: batch.map(\.typeIds))
            let targets = Targets.classes(IDTensor(shape: [batchSize], ids: batches[step].map { Int32(ids[$0]) }))
            return (input, targets, batch.map(\.count))
        }
        let timed = stepSeconds.reduce(0, +)
        try Bench.emit(figure: "finetune", [
            "batch_size": batchSize, "warmup_steps": loop.warmup, "steps": loop.steps, "seed": Int(loop.seed),
            "layers": model.encoder.layerCount,
            "trainable_parameters": model.store.parameters.filter(\.trainable).reduce(0) { $0 + $1.count },
            "padded_tokens": Bench.paddedTokens(lengths),
            "tokens": lengths.joined().reduce(0, +),
            "seconds": Bench.rounded(timed, 3),
            "step_seconds_median": Bench.rounded(stepSeconds.sorted()[stepSeconds.count / 2], 4),
            "examples_per_s": Bench.rounded(Double(loop.steps * batchSize) / timed, 2),
            "first_loss": Bench.rounded(losses.first ?? .nan, 4), "last_loss": Bench.rounded(losses.last ?? .nan, 4),
        ])
    }
}
