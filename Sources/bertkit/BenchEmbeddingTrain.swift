import ArgumentParser
import BertKit
import Foundation

/// Figure 8: embedding training throughput, pairs per second, as `bertkit train --task embedding`
/// trains (``EmbeddingTrainer``: no-duplicates batches, MultipleNegativesRankingLoss with scale 20,
/// AdamW, clipping), next to sentence-transformers' `fit` with the same recipe in `pytorch_bench.py`.
///
/// Both sides train on the file's first `(warmup + steps) × batch size` pairs: a first `fit` on the
/// warm-up share is not timed, the second `fit`, on the rest, is timed whole (tokenization included,
/// as sentence-transformers tokenizes inside `fit`).
struct EmbeddingTrainBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embedding-train",
        abstract: "Train an embedder with MultipleNegativesRankingLoss on (anchor, positive) pairs; pairs/s."
    )

    @OptionGroup var bench: BenchOptions
    @OptionGroup var loop: BenchLoop
    @Option(help: "Keep only the lowest K encoder layers (extract layers), all fine-tuned.") var layers: Int?

    func run() throws {
        try bench.apply()
        let (data, batchSize) = (loop.data, loop.batchSize ?? 32)
        guard batchSize >= 2 else { throw ValidationError("--batch-size must be at least 2") }
        let all = try PairDataset.read(URL(fileURLWithPath: data))
        guard all.count >= (loop.warmup + loop.steps) * batchSize else {
            throw ValidationError("\(data) has \(all.count) pairs; \(loop.warmup + loop.steps) batches of \(batchSize) need \((loop.warmup + loop.steps) * batchSize)")
        }
        let folder = try ModelLocation.resolve(bench.model)
        let tokenizer = try Tokenizer.load(directory: folder)
        let mode: TransferMode = layers.map { .extractLayers($0, frozen: false) } ?? .fineTuning
        let model = try EmbeddingModel(pretrained: folder, mode: mode)
        var options = TrainingOptions()
        (options.epochs, options.batchSize, options.seed) = (1, batchSize, loop.seed)
        options.learningRate = loop.lr ?? EmbeddingTrainer.defaultLearningRate
        let trainer = EmbeddingTrainer(model: model, options: options, loss: MultipleNegativesRankingLoss(scale: 20))
        if loop.warmup > 0 {
            _ = try trainer.fit(PairDataset(pairs: Array(all.pairs.prefix(loop.warmup * batchSize))), tokenizer: tokenizer)
        }
        let timed = PairDataset(pairs: Array(all.pairs[(loop.warmup * batchSize)..<((loop.warmup + loop.steps) * batchSize)]))
        var result: EmbeddingTrainer.Result?
        let seconds = try Bench.time { result = try trainer.fit(timed, tokenizer: tokenizer) }
        try Bench.emit(figure: "embedding-train", [
            "batch_size": batchSize, "warmup_steps": loop.warmup, "steps": result!.steps, "pairs": result!.pairs,
            "layers": model.encoder.layerCount, "max_length": model.maxLength,
            "trainable_parameters": model.trainableParameters.reduce(0) { $0 + $1.count },
            "seconds": Bench.rounded(seconds, 3),
            "pairs_per_s": Bench.rounded(Double(result!.pairs) / seconds, 2),
            "first_loss": Bench.rounded(result!.losses.first ?? .nan, 4), "last_loss": Bench.rounded(result!.losses.last ?? .nan, 4),
        ])
    }
}
