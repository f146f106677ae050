import ArgumentParser
import BertKit
import Foundation

/// The options of `bertkit train --task embedding` that no head task has.
struct EmbeddingOptions: ParsableArguments {
    @Option(help: "Embedding: the scale (inverse temperature) on cosine similarities in MultipleNegativesRankingLoss.")
    var scale: Double = 20
    @Flag(help: "Embedding: add the positive→anchor direction to the loss (MultipleNegativesSymmetricRankingLoss).")
    var symmetric = false
    @Option(help: "Embedding: a BEIR folder (corpus.jsonl, queries.jsonl, qrels/test.tsv) to evaluate retrieval on after each epoch; the best epoch by MRR@10 is kept.")
    var devRetrieval: String?
}

extension TrainCommand {
    /// `bertkit train --task embedding`: pairs in, a sentence-transformers folder out.
    func trainEmbeddings() throws {
        for (name, given) in [("--dev", dev != nil), ("--resume", resume), ("--merge", merge), ("--evaluate-every", evaluateEvery != nil),
                              ("--metric", metric != nil), ("--hidden", head.hidden != nil), ("--checkpoint-every", checkpointEvery != nil),
                              ("--stop-after-steps", stopAfterSteps != nil), ("--gradient-accumulation", gradientAccumulation != 1)] where given {
            throw ValidationError("\(name) is not used by --task embedding" + (name == "--dev" ? "; give a BEIR folder with --dev-retrieval" : ""))
        }
        guard batchSize >= 2 else {
            throw ValidationError("--batch-size \(batchSize): in-batch negatives need at least 2 pairs a batch")
        }
        guard embedding.scale > 0 && embedding.scale.isFinite else { throw ValidationError("--scale must be a positive number, got \(embedding.scale)") }
        if earlyStopping != nil && embedding.devRetrieval == nil {
            throw ValidationError("--early-stopping needs --dev-retrieval (it stops on retrieval MRR@10)")
        }
        var options = TrainingOptions()
        (options.epochs, options.batchSize, options.learningRate, options.warmupRatio) = (epochs, batchSize, lr, warmup)
        (options.weightDecay, options.maxGradNorm, options.seed) = (weightDecay, maxGradNorm == 0 ? nil : maxGradNorm, seed)
        options.earlyStoppingPatience = earlyStopping
        if let maxLength { options.maxLength = maxLength }
        try options.validate()
        let mode = try head.transferMode()
        let folder = try ModelLocation.resolve(model.model, revision: model.revision)
        try OutputGuard.check("--output", output, against: [("--model", folder.path), ("--train", train), ("--dev-retrieval", embedding.devRetrieval)])
        let outputURL = URL(fileURLWithPath: output)
        let ranks = try Communicator.world()
        if ranks.isLeader {
            if FileManager.default.fileExists(atPath: outputURL.appending(path: "modules.json").path) && !overwrite {
                throw ValidationError("--output \(output) holds a sentence-transformers model (modules.json); pass --overwrite to replace it, or choose another folder")
            }
            try makeFolder(outputURL, option: "--output")
        }
        let pairs = try PairDataset.read(URL(fileURLWithPath: train))
        let dev = try embedding.devRetrieval.map { try BEIRFolder(URL(fileURLWithPath: $0)) }
        let tokenizer = try Tokenizer.load(directory: folder)
        let embedder = try EmbeddingModel(pretrained: folder, mode: mode, pooling: head.poolingChoice, maxLength: maxLength,
                                          lora: try head.loraSettings())
        let trainer = EmbeddingTrainer(model: embedder, options: options,
                                       loss: MultipleNegativesRankingLoss(scale: Float(embedding.scale), symmetric: embedding.symmetric))
        trainer.communicator = ranks
        if ranks.isLeader {
            let trainable = embedder.trainableParameters.reduce(0) { $0 + $1.count }
            note("train: \(pairs.count) pairs from \(train)\(pairs.hasNegatives ? " with hard negatives" : ""); \(mode), "
                 + "\(embedder.encoder.layerCount) layers, \(embedder.pooling.rawValue) pooling\(embedder.normalize ? ", normalized" : ""), "
                 + "max length \(embedder.maxLength), \(ModelSummary.grouped(trainable)) trainable parameters; "
                 + "MultipleNegativesRankingLoss scale \(embedding.scale)\(embedding.symmetric ? ", symmetric" : ""), lr \(trainer.peakLearningRate)")
            var bar: ProgressBar?
            trainer.onProgress = { p in
                if bar == nil || bar!.total != p.totalSteps { bar = ProgressBar(total: p.totalSteps, label: "train", minimumTotal: 1) }
                bar!.update(p.step, extra: String(format: "epoch %d/%d  loss %.4f  %.0f pairs/s", p.epoch, p.epochs, p.loss, p.examplesPerSecond))
            }
            trainer.onEvaluation = { epoch, m in
                note(String(format: "epoch %d: dev retrieval mrr@10 %.4f  ndcg@10 %.4f  recall@1 %.4f  recall@10 %.4f",
                            epoch, m.mrrAt10, m.ndcgAt10, m.recallAt1, m.recallAt10))
            }
        }
        let result = try trainer.fit(pairs, tokenizer: tokenizer, dev: dev)
        noteDataParallel(ranks, seconds: result.trainSeconds)
        guard ranks.isLeader else { return }
        try embedder.save(to: outputURL, tokenizerFrom: folder)
        var summary = String(format: "saved a sentence-transformers model to %@; %d steps, %.1f pairs/s", output, result.steps, result.pairsPerSecond)
        if !result.evaluations.isEmpty {
            let kept = result.evaluations[result.bestEpoch - 1]
            summary += String(format: "; dev mrr@10 %.4f (epoch %d kept)%@", kept.mrrAt10, result.bestEpoch, result.stoppedEarly ? ", stopped early" : "")
        }
        print(summary)
    }
}
