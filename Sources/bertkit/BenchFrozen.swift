import ArgumentParser
import BertKit
import Foundation

/// Figure 4: training with a frozen encoder, seconds per epoch after the first, through the real
/// ``Trainer`` (which computes the encoder's features once and then trains only the head).
struct FrozenBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "frozen",
        abstract: "Train a head on a frozen encoder over a fixed subset of a data file (SST-2 train); seconds per epoch.",
        discussion: """
            The subset is the first --examples of Bench.permutation(seed), the same examples pytorch_bench.py
            takes. Reports every epoch's seconds (Trainer's epochSeconds), the one-off feature pass, and the mean
            of the epochs after the first.
            """
    )

    @OptionGroup var bench: BenchOptions
    @Option(help: "A TSV with a header row, label then text (SST-2's train.tsv).") var data: String
    @Option(help: "Examples in the fixed subset (0: the whole file).") var examples = 4096
    @Option(help: "Epochs (at least 2: the first is not the figure).") var epochs = 3
    @Option(help: "Sequences per batch.") var batchSize = 32
    @Option(help: "Truncate inputs to this many tokens.") var maxLength = 128
    @Option(help: "Seed of the subset, the head and the data order.") var seed: UInt64 = 0
    @Flag(help: "Recompute the frozen encoder every step, as PyTorch does (for comparison only).") var noFeatureCache = false

    func run() throws {
        try bench.apply()
        guard epochs >= 2 else { throw ValidationError("--epochs must be at least 2") }
        let dataset = try Bench.readSST2(data)
        let count = examples > 0 ? min(examples, dataset.count) : dataset.count
        let chosen = Bench.permutation(count: dataset.count, seed: seed).prefix(count)
        let subset = ClassificationDataset(examples: chosen.map { dataset.examples[$0] }, labelKind: .single, source: data)
        let head = HeadSettings(task: .classification, labels: dataset.labelSet().labels, pooling: .mean)
        let tokenizer = try Tokenizer.load(bench.model)
        let prepared = try TaskData.sequences(subset).prepared(head: head, tokenizer: tokenizer, maxLength: maxLength)
        let model = try TransferModel.pretrained(bench.model, head: head, mode: .featureExtraction, seed: seed)
        var options = TrainingOptions()
        options.epochs = epochs
        options.batchSize = batchSize
        options.maxLength = maxLength
        options.seed = seed
        options.cacheFeatures = !noFeatureCache
        let result = try Trainer(model: model, options: options).fit(train: prepared, dev: nil)
        let later = Array(result.epochSeconds.dropFirst())
        let perEpoch = later.reduce(0, +) / Double(later.count)
        try Bench.emit(figure: "frozen", [
            "examples": count, "full_examples": dataset.count, "epochs": epochs, "batch_size": batchSize,
            "cache_features": !noFeatureCache,
            "feature_seconds": Bench.rounded(result.featureSeconds, 3),
            "epoch_seconds": result.epochSeconds.map { Bench.rounded($0, 5) },
            "epoch_seconds_after_first": Bench.rounded(perEpoch, 5),
            "examples_per_s_after_first": Bench.rounded(Double(count) / perEpoch, 1),
            "full_epoch_seconds_extrapolated": Bench.rounded(perEpoch * Double(dataset.count) / Double(count), 3),
            "last_loss": Bench.rounded(result.history.steps.last.map { $0.loss } ?? .nan, 4),
        ])
    }
}
