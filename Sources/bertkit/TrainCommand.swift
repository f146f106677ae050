import ArgumentParser
import BertKit
import Foundation

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a task head on a pretrained encoder (frozen, fine-tuned, extract layers, or LoRA).",
        discussion: """
            Defaults follow the BERT paper: 3 epochs, batch size 32, learning rate 5e-5 (1e-3 with a frozen
            encoder), 10% linear warmup then linear decay, AdamW with weight decay 0.01, gradient clipping at 1.

              bertkit train --model sentence-transformers/all-MiniLM-L6-v2 --task classify \\
                --train examples/sentiment/train.tsv --dev examples/sentiment/dev.tsv --mode frozen --output out/sentiment

            Writes the model (a Hugging Face folder), a checkpoint for --resume, and report.json,
            report.md and report.svg (loss and dev metric per step) into --output.

            With --mode lora (default learning rate 1e-3), --output gets a PEFT adapter folder
            (adapter_config.json, adapter_model.safetensors) to use with --model BASE --adapter FOLDER;
            --merge also writes the adapters merged into the base weights, a plain Hugging Face folder,
            into OUTPUT/merged.
            """
    )

    @OptionGroup var model: ModelOptions
    @OptionGroup var head: HeadOptions
    @OptionGroup var compute: ComputeOptions
    @OptionGroup var embedding: EmbeddingOptions
    @Option(help: "Training data: .tsv/.csv/.jsonl (classification; embedding: anchor, positive, optional negative columns), .conllu/CoNLL-2003 columns (tagging), SQuAD .json or .jsonl (qa).") var train: String
    @Option(help: "Dev data, evaluated during training; picks the best model.") var dev: String?
    @Option(help: "Output folder.") var output: String
    @Option(help: "Epochs.") var epochs = 3
    @Option(help: "Batch size.") var batchSize = 32
    @Option(help: "Peak learning rate (default 5e-5; 1e-3 with a frozen encoder or LoRA).") var lr: Double?
    @Option(help: "Warmup fraction of the steps.") var warmup = 0.1
    @Option(help: "AdamW weight decay.") var weightDecay = 0.01
    @Option(help: "Clip gradients to this global norm (0 turns clipping off).") var maxGradNorm = 1.0
    @Option(help: "Batches per optimizer step.") var gradientAccumulation = 1
    @Option(help: "Random seed.") var seed: UInt64 = 0
    @Option(help: "Truncate inputs to this many tokens (default 128; 256 for tagging; 384 for qa, a window's length).") var maxLength: Int?
    @Option(help: "Evaluate every N steps (default: every epoch).") var evaluateEvery: Int?
    @Option(help: "Stop after N evaluations without improvement.") var earlyStopping: Int?
    @Option(help: "Dev metric that picks the best model (default: the task's primary metric).") var metric: String?
    @Option(help: "Save a resumable checkpoint every N steps (also after each epoch).") var checkpointEvery: Int?
    @Option(help: "Stop after N steps, as if killed (for trying --resume).") var stopAfterSteps: Int?
    @Flag(help: "Continue the run whose checkpoint is in --output.") var resume = false
    @Flag(help: "With a frozen encoder, recompute features every step instead of once.") var noFeatureCache = false
    @Option(help: "Text column name.") var textColumn: String?
    @Option(help: "Text-pair column name.") var pairColumn: String?
    @Option(help: "Label column name.") var labelColumn: String?
    @Option(help: "CoNLL-U tag field: upos or xpos.") var tagField: String = "upos"

    @Flag(help: "Replace a finished model already in --output.") var overwrite = false
    @Flag(help: "Question answering: leave out (and name) training questions whose answer is not in the context at its answer_start.") var skipBadExamples = false
    @Flag(help: "With --mode lora: also write the model with the adapters merged into its weights to OUTPUT/merged.") var merge = false

    /// The training options, checked before any work.
    func trainingOptions(task: TaskKind) throws -> TrainingOptions {
        var options = TrainingOptions()
        options.epochs = epochs
        options.batchSize = batchSize
        options.learningRate = lr
        options.warmupRatio = warmup
        options.weightDecay = weightDecay
        // 0 turns clipping off; anything else must be a positive finite norm.
        options.maxGradNorm = maxGradNorm == 0 ? nil : maxGradNorm
        options.gradientAccumulation = gradientAccumulation
        options.seed = seed
        options.maxLength = maxLength ?? (task == .tagging ? 256 : task == .questionAnswering ? 384 : 128)
        options.evaluateEvery = evaluateEvery
        options.earlyStoppingPatience = earlyStopping
        options.metric = metric
        options.cacheFeatures = !noFeatureCache
        options.checkpointEvery = checkpointEvery
        options.stopAfterSteps = stopAfterSteps
        try options.validate()
        if dev == nil {
            for (name, given) in [("--early-stopping", earlyStopping != nil), ("--metric", metric != nil), ("--evaluate-every", evaluateEvery != nil)] where given {
                throw ValidationError("\(name) needs --dev (it works on the dev set's metrics)")
            }
        }
        if let metric, !Metrics.names(for: task).contains(metric) {
            throw ValidationError("--metric \(metric) is not computed for \(task.rawValue); use one of \(Metrics.names(for: task).joined(separator: ", "))")
        }
        guard tagField == "upos" || tagField == "xpos" else { throw ValidationError("--tag-field must be upos or xpos, got \(tagField)") }
        return options
    }

    /// Checks that --output can be written, and that it does not hold a finished model unless
    /// --overwrite or --resume says so; removes temporary files a killed run left.
    func prepareOutput(_ url: URL) throws {
        let fm = FileManager.default
        var isFolder: ObjCBool = false
        if fm.fileExists(atPath: url.path, isDirectory: &isFolder) && !isFolder.boolValue {
            throw ValidationError("--output \(url.path) is a file, not a folder")
        }
        let finished = fm.fileExists(atPath: url.appending(path: TransferModel.settingsFileName).path)
        if finished && !overwrite && !resume {
            throw ValidationError("--output \(url.path) holds a finished model (\(TransferModel.settingsFileName)); "
                + "pass --overwrite to replace it, or choose another folder")
        }
        try makeFolder(url, option: "--output")
        let probe = url.appending(path: ".bertkit-write-test-\(ProcessInfo.processInfo.processIdentifier)")
        guard fm.createFile(atPath: probe.path, contents: Data()) else {
            throw ValidationError("--output \(url.path): cannot write into the folder")
        }
        try? fm.removeItem(at: probe)
        try? fm.removeItem(at: url.appending(path: Trainer.checkpointName + ".finished"))
        for folder in [url, url.appending(path: Trainer.checkpointName)] {
            for name in AtomicFile.leftovers(in: folder) {
                try? fm.removeItem(at: folder.appending(path: name))
                note("removed \(folder.appending(path: name).path), left by an interrupted run")
            }
        }
    }

    func run() throws {
        try compute.apply()
        if head.taskChoice == .embedding { return try trainEmbeddings() }
        guard let task = head.task else { throw ValidationError("--task is required: classify, regress, multilabel, tag, qa or embedding") }
        var options = try trainingOptions(task: task)
        let mode = try head.transferMode()
        let lora = try head.loraSettings()
        if merge && mode != .lora { throw ValidationError("--merge needs --mode lora (it merges LoRA adapters)") }
        if task == .questionAnswering { try WindowSettings(maxLength: options.maxLength, docStride: head.docStride).validate() }
        _ = try head.head(task: task, labels: [])
        let folder = try ModelLocation.resolve(model.model, revision: model.revision)
        let config = try EncoderConfig(contentsOf: folder.appending(path: "config.json"))
        if let maxLength, maxLength > config.maxSequenceLength {
            throw ValidationError("--max-length \(maxLength) is more than the model's \(config.maxSequenceLength) positions (max_position_embeddings)")
        }
        // The default length, where the model has fewer positions, is all it has.
        options.maxLength = min(options.maxLength, config.maxSequenceLength)
        try OutputGuard.check("--output", output, against: [("--model", folder.path), ("--train", train), ("--dev", dev)])
        let outputURL = URL(fileURLWithPath: output)
        // Under mpirun every rank trains; rank 0 alone writes --output (checkpoints, model, reports).
        let ranks = try Communicator.world()
        try checkRanksAgree(ranks, model: folder, files: [("--train", train), ("--dev", dev)])
        if ranks.isLeader { try prepareOutput(outputURL) }
        let tokenizer = try Tokenizer.load(directory: folder)
        let columns = ClassificationColumns(text: textColumn, pair: pairColumn, label: labelColumn)
        let format: TaggingFormat? = tagField == "xpos" ? .xpos : nil
        let trainURL = URL(fileURLWithPath: train)
        let trainData = try TaskData.read(trainURL, task: task, columns: columns, tagging: format, skipBadExamples: skipBadExamples)
        if ranks.isLeader { noteSkipped(trainData) }
        let labels = trainData.labels
        let devData = try dev.map { try TaskData.read(URL(fileURLWithPath: $0), task: task, columns: columns, tagging: format, labels: LabelSet(labels)) }

        let settings = try head.head(task: task, labels: labels)
        let transfer = try TransferModel.pretrained(folder.path, head: settings, mode: mode, freeze: head.freezeSpec(), lora: lora, seed: seed)
        if ranks.isLeader { note(transfer.summary().description) }
        if ranks.isLeader { note("train: \(trainData.count) examples from \(train)" + (devData.map { ", dev: \($0.count) from \(dev!)" } ?? "")
             + ", \(labels.count) labels" + (task == .regression ? "" : " (\(labels.prefix(8).joined(separator: ", "))\(labels.count > 8 ? ", …" : ""))")) }

        let prepareStart = Date()
        let trainPrepared = try trainData.prepared(head: settings, tokenizer: tokenizer, maxLength: options.maxLength)
        let devPrepared = try devData?.prepared(head: settings, tokenizer: tokenizer, maxLength: options.maxLength)
        let tokenizeSeconds = Date().timeIntervalSince(prepareStart)

        let trainer = Trainer(model: transfer, options: options)
        trainer.communicator = ranks
        var bar: ProgressBar?
        trainer.onProgress = { p in
            if bar == nil || bar!.total != p.totalSteps { bar = ProgressBar(total: p.totalSteps, label: "train", minimumTotal: 1) }
            bar!.update(p.step, extra: String(format: "epoch %d/%d  loss %.4f  %.0f ex/s", p.epoch, p.epochs, p.loss, p.examplesPerSecond))
        }
        var featureBar: ProgressBar?
        trainer.onFeatureProgress = { done, total in
            if featureBar == nil { featureBar = ProgressBar(total: total, label: "encoder features (once)", minimumTotal: 1) }
            featureBar!.update(done)
        }
        trainer.onEvaluation = { e in
            note("step \(e.step): " + e.metrics.sorted { $0.key < $1.key }.map { String(format: "%@ %.4f", $0.key, $0.value) }.joined(separator: "  "))
        }
        if !ranks.isLeader { (trainer.onProgress, trainer.onFeatureProgress, trainer.onEvaluation) = (nil, nil, nil) }
        armRankKill(trainer, ranks: ranks)
        let result = try trainer.fit(train: trainPrepared, dev: devPrepared, checkpoints: outputURL, resume: resume)
        noteDataParallel(ranks, seconds: result.seconds)
        guard ranks.isLeader else { return }
        if result.stopped {
            note("stopped after step \(options.stopAfterSteps!) as asked; continue with --resume")
            return
        }
        armCrashTest()
        if mode == .lora {
            try transfer.saveAdapter(to: outputURL, baseModel: model.model, tokenizerFrom: folder, maxLength: options.maxLength)
            if merge {
                transfer.mergeAdapters()
                try transfer.save(to: outputURL.appending(path: "merged"), tokenizerFrom: folder, maxLength: options.maxLength)
            }
        } else {
            try transfer.save(to: outputURL, tokenizerFrom: folder, maxLength: options.maxLength)
        }

        let trainExamples = Double(trainPrepared.count)
        var timings = [TrainingReport.Timing("tokenize", seconds: tokenizeSeconds)]
        if result.featureSeconds > 0 { timings.append(.init("encoder features (once)", seconds: result.featureSeconds)) }
        for (i, s) in result.epochSeconds.enumerated() { timings.append(.init("epoch \(i + 1)", seconds: s)) }
        timings.append(.init("total", seconds: result.seconds))
        let report = TrainingReport(
            title: "\(task.rawValue) · \(mode) · \(model.model)",
            settings: [.init("model", model.model), .init("mode", mode.description), .init("train", train), .init("dev", dev ?? "-"),
                       .init("pooling", settings.pooling.rawValue), .init("features", settings.features.description),
                       .init("epochs", "\(epochs)"), .init("batch size", "\(batchSize)"),
                       .init("learning rate", "\(options.peakLearningRate(for: mode))"), .init("warmup", "\(warmup)"),
                       .init("seed", "\(seed)"), .init("trainable params", ModelSummary.grouped(transfer.summary().trainableParameters)),
                       .init("examples/s (last epoch)", String(format: "%.1f", trainExamples / (result.epochSeconds.last ?? .nan)))],
            history: result.history, metrics: result.devMetrics, timings: timings, chartMetric: result.metricName)
        _ = try report.write(to: outputURL)
        var summary = mode == .lora
            ? "saved the LoRA adapter (PEFT format) to \(output)" + (merge ? ", the merged \(transfer.architecture) to \(output)/merged" : "")
            : "saved \(transfer.architecture) to \(output)"
        if let m = result.devMetrics {
            summary += "; dev " + m.summary.prefix(3).map { String(format: "%@ %.4f", $0.name, $0.value) }.joined(separator: ", ")
        }
        // The model and its reports are complete: only now has the resumable checkpoint served its purpose.
        // One rename retires it at once; a partly deleted checkpoint would look resumable.
        let retired = outputURL.appending(path: Trainer.checkpointName + ".finished")
        try? FileManager.default.removeItem(at: retired)
        if (try? FileManager.default.moveItem(at: outputURL.appending(path: Trainer.checkpointName), to: retired)) != nil {
            try? FileManager.default.removeItem(at: retired)
        }
        print(summary)
        note("report: \(output)/report.md, report.json, report.svg")
    }
}
