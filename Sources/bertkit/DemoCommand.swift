import ArgumentParser
import BertKit
import Foundation

/// The README's main job: the three kinds of transfer learning on a small sentiment data set.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Transfer learning in a few minutes: frozen, extract-layers and fine-tuned sentiment classifiers on a small data set.",
        discussion: """
            Trains a mean-pooling classifier on examples/sentiment (324 training sentences, 100 dev) three ways,
            prints each model's summary totals and dev accuracy, saves the fine-tuned one and predicts with it.
            """
    )

    @OptionGroup var model: ModelOptions
    @OptionGroup var compute: ComputeOptions
    @Option(help: "Folder with train.tsv and dev.tsv.") var data = "examples/sentiment"
    @Option(help: "Where to save the fine-tuned model.") var output = "out/demo-sentiment"

    func run() throws {
        try compute.apply()
        let dataFolder = URL(fileURLWithPath: data)
        for name in ["train.tsv", "dev.tsv"] where !FileManager.default.fileExists(atPath: dataFolder.appending(path: name).path) {
            throw ValidationError("\(dataFolder.appending(path: name).path) not found: run the demo from the repository root or pass --data")
        }
        let folder = try ModelLocation.resolve(model.model, revision: model.revision)
        let tokenizer = try Tokenizer.load(directory: folder)
        let train = try TaskData.read(dataFolder.appending(path: "train.tsv"), task: .classification)
        let labels = train.labels
        let dev = try TaskData.read(dataFolder.appending(path: "dev.tsv"), task: .classification, labels: LabelSet(labels))
        print("BertKit demo: \(model.model) → sentiment (\(train.count) training sentences, \(dev.count) dev), \(Threads.count) threads\n")

        // The seed's three ways, each one setting. A frozen encoder's features are computed once,
        // so its head can afford more epochs.
        let runs: [(TransferMode, epochs: Int, lr: Double?)] = [
            (.featureExtraction, 30, 3e-3), (.extractLayers(3, frozen: false), 4, 1e-4), (.fineTuning, 4, 1e-4),
        ]
        var rows: [[String]] = [["mode", "trainable params", "non-trainable", "epochs", "train time", "dev accuracy"]]
        var finetuned: TransferModel?
        for (mode, epochs, lr) in runs {
            let head = HeadSettings(task: .classification, labels: labels, pooling: .mean)
            let transfer = try TransferModel.pretrained(folder.path, head: head, mode: mode, seed: 0)
            let summary = transfer.summary()
            print("── \(mode) ──")
            if mode == .featureExtraction {
                print(summary)
            } else {
                print("Total params: \(ModelSummary.grouped(summary.totalParameters))  "
                      + "Trainable params: \(ModelSummary.grouped(summary.trainableParameters))  "
                      + "Non-trainable params: \(ModelSummary.grouped(summary.nonTrainableParameters))")
            }
            var options = TrainingOptions()
            options.epochs = epochs
            options.batchSize = 16
            options.learningRate = lr
            let trainData = try train.prepared(head: head, tokenizer: tokenizer, maxLength: options.maxLength)
            let devData = try dev.prepared(head: head, tokenizer: tokenizer, maxLength: options.maxLength)
            let trainer = Trainer(model: transfer, options: options)
            let bar = ProgressBar(total: epochs * ((trainData.count + 15) / 16), label: "  train", minimumTotal: 1)
            trainer.onProgress = { bar.update($0.step, extra: String(format: "loss %.3f", $0.loss)) }
            let result = try trainer.fit(train: trainData, dev: devData)
            let accuracy = result.devMetrics?.values["accuracy"] ?? .nan
            print(String(format: "dev accuracy %.3f after %d epochs in %.1f s%@\n", accuracy, epochs, result.seconds,
                         result.featureSeconds > 0 ? String(format: " (encoder features once: %.1f s)", result.featureSeconds) : ""))
            rows.append([mode.description, ModelSummary.grouped(summary.trainableParameters), ModelSummary.grouped(summary.nonTrainableParameters),
                         "\(epochs)", String(format: "%.1f s", result.seconds), String(format: "%.3f", accuracy)])
            if mode == .fineTuning { finetuned = transfer }
        }
        printTable(rows)

        guard let finetuned else { return }
        let outputURL = URL(fileURLWithPath: output)
        try finetuned.save(to: outputURL, tokenizerFrom: folder, maxLength: 128)
        print("\nSaved the fine-tuned model to \(output) (a Hugging Face folder: config.json, model.safetensors, tokenizer, bertkit.json).")
        let (loaded, maxLength) = try TransferModel.load(outputURL)
        let sentences = ["The soup was cold and the waiter ignored us.", "An absolute joy from the first page to the last.",
                         "Not bad at all, I would go back."]
        let predictions = try Evaluator(model: loaded).predict(PreparedData.unlabelled(sentences, tokenizer: tokenizer, maxLength: maxLength))
        print("Predictions of the reloaded model:")
        for (s, p) in zip(sentences, predictions) {
            print("  " + s.padding(toLength: 52, withPad: " ", startingAt: 0) + "→ \(p.labels[0]) (" + String(format: "%.2f", p.probabilities.max() ?? 0) + ")")
        }
        print("\nThe same from the command line: echo \"A lovely little hotel.\" | bertkit predict --model \(output)")
    }
}
