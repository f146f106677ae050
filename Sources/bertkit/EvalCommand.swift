import ArgumentParser
import BertKit
import Foundation

/// Loads a saved model folder and its max length; with `adapter`, `path` is the base model (a
/// folder or a cached Hugging Face id) and `adapter` a PEFT LoRA adapter folder on it.
func loadTrained(_ path: String, adapter: String? = nil) throws -> (TransferModel, Tokenizer, Int) {
    guard let adapter else {
        let folder = URL(fileURLWithPath: path)
        let (model, maxLength) = try TransferModel.load(folder)
        return (model, try Tokenizer.load(directory: folder), maxLength)
    }
    let adapterURL = URL(fileURLWithPath: adapter)
    let (model, maxLength) = try TransferModel.load(base: path, adapter: adapterURL)
    let tokenizerFolder = try LoRAAdapter.tokenizerFolder(adapter: adapterURL, base: path)
    return (model, try Tokenizer.load(directory: tokenizerFolder), maxLength)
}

/// `--adapter`, shared by the commands that run a trained model.
struct AdapterOptions: ParsableArguments {
    @Option(help: "A LoRA adapter folder (PEFT format: from bertkit train --mode lora, or PEFT's save_pretrained); --model is then its base model. An adapter folder given as --model alone runs on the base its adapter_config.json names.")
    var adapter: String?

    /// The base model and the adapter to run: `--model` and `--adapter` as given (with a warning
    /// when the adapter names another base), or, for an adapter folder given as `--model` alone,
    /// the base its `base_model_name_or_path` names.
    func resolve(model: String, revision: String? = nil) throws -> (model: String, adapter: String?) {
        if let adapter {
            let read = try LoRAAdapter(folder: URL(fileURLWithPath: adapter))
            if let named = read.baseModelName, !read.isMadeFor(base: model, revision: revision) {
                note("bertkit: warning: \(adapter) was made for \(named) (base_model_name_or_path in adapter_config.json), not \(model)")
            }
            return (model, adapter)
        }
        guard LoRAAdapter.isAdapterFolder(URL(fileURLWithPath: model)) else { return (model, nil) }
        guard let base = try LoRAAdapter(folder: URL(fileURLWithPath: model)).baseModelName else {
            throw ValidationError("\(model) is an adapter folder whose adapter_config.json names no base (base_model_name_or_path); give --model BASE --adapter \(model)")
        }
        return (base, model)
    }
}

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Evaluate a trained model folder on labelled data, or an embedding model on a BEIR folder; print the metrics as JSON.",
        discussion: """
              bertkit eval --model out/sentiment --data examples/sentiment/dev.tsv
              bertkit eval --task retrieval --model out/embedder --data squad-dev-beir
            """
    )

    @Option(help: "A folder written by `bertkit train` (with --adapter: the base model, a folder or a cached id).") var model: String
    @OptionGroup var adapter: AdapterOptions
    @Option(help: "Labelled data in the training format.") var data: String
    @OptionGroup var compute: ComputeOptions
    @OptionGroup var retrieval: RetrievalOptions
    @Option(help: "Text column name.") var textColumn: String?
    @Option(help: "Text-pair column name.") var pairColumn: String?
    @Option(help: "Label column name.") var labelColumn: String?
    @OptionGroup var answers: AnswerOptions

    func run() throws {
        try compute.apply()
        let (base, adapterFolder) = try adapter.resolve(model: model)
        if try retrieval.asksForRetrieval() { return try retrieval.run(model: base, adapter: adapterFolder, data: data) }
        let answerSettings = try answers.settings()
        let (transfer, tokenizer, maxLength) = try loadTrained(base, adapter: adapterFolder)
        let columns = ClassificationColumns(text: textColumn, pair: pairColumn, label: labelColumn)
        let dataset = try TaskData.read(URL(fileURLWithPath: data), task: transfer.head.task, columns: columns,
                                        labels: transfer.head.task == .regression ? nil : LabelSet(transfer.head.labels))
        let prepared = try dataset.prepared(head: transfer.head, tokenizer: tokenizer, maxLength: maxLength)
        var evaluator = Evaluator(model: transfer)
        evaluator.answerSettings = answerSettings
        let metrics = try evaluator.metrics(prepared)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        print(String(decoding: try encoder.encode(metrics), as: UTF8.self))
    }
}

struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Predict for stdin lines with a trained model; write one JSON object per line.",
        discussion: """
            Classification: {"label": …, "probabilities": {label: p, …}}. Multi-label: {"labels": […], …}.
            Regression: {"value": …}. Tagging (each line is a sentence, words split on spaces):
            {"words": […], "tags": […]}. --logits adds the raw outputs. Question answering (each line
            {"question": …, "context": …}): {"answer": …, "score": …, "start": …, "end": …}, character
            offsets into the context.

              echo "what a wonderful film" | bertkit predict --model out/sentiment
            """
    )

    @Option(help: "A folder written by `bertkit train` (with --adapter: the base model, a folder or a cached id).") var model: String
    @OptionGroup var adapter: AdapterOptions
    @Flag(help: "Also write the raw logits.") var logits = false
    @OptionGroup var compute: ComputeOptions
    @OptionGroup var input: InputOptions
    @OptionGroup var answers: AnswerOptions

    func run() throws {
        try compute.apply()
        let (base, adapterFolder) = try adapter.resolve(model: model)
        let answerSettings = try answers.settings()
        let (transfer, tokenizer, maxLength) = try loadTrained(base, adapter: adapterFolder)
        let head = transfer.head
        let evaluator = Evaluator(model: transfer)
        // A few batches at a time: bounded memory, input order kept, each window flushed.
        var reader = LineReader(options: input)
        if head.task == .questionAnswering {
            return try predictAnswers(transfer, tokenizer: tokenizer, maxLength: maxLength, answers: answerSettings, reader: &reader)
        }
        let out = StandardOutput.shared
        while let lines = try reader.nextWindow(maxLines: 128) {
            if head.task == .tagging {
                let words = lines.map { $0.split(whereSeparator: \.isWhitespace).map(String.init) }
                let data = PreparedData.unlabelledWords(words, tokenizer: tokenizer, maxLength: maxLength)
                for (w, p) in zip(words, try evaluator.predict(data)) {
                    var line = "{\"words\":[\(w.map(JSONWriter.string).joined(separator: ","))],\"tags\":[\(p.labels.map(JSONWriter.string).joined(separator: ","))]"
                    if logits { line += ",\"logits\":[\(p.logits.map { $0.map(JSONWriter.floats) ?? "null" }.joined(separator: ","))]" }
                    try out.append(line + "}\n")
                }
            } else {
                let data = PreparedData.unlabelled(lines, tokenizer: tokenizer, maxLength: maxLength)
                for p in try evaluator.predict(data) {
                    var line: String
                    switch head.task {
                    case .regression: line = "{\"value\":\(JSONWriter.number(p.value!))"
                    case .multiLabel: line = "{\"labels\":[\(p.labels.map(JSONWriter.string).joined(separator: ","))]"
                    default: line = "{\"label\":\(JSONWriter.string(p.labels[0]))"
                    }
                    if !p.probabilities.isEmpty {
                        line += ",\"probabilities\":{" + zip(head.labels, p.probabilities).map { "\(JSONWriter.string($0.0)):\(JSONWriter.number($0.1))" }.joined(separator: ",") + "}"
                    }
                    if logits { line += ",\"logits\":\(JSONWriter.floats(p.logits[0]!))" }
                    try out.append(line + "}\n")
                }
            }
            try out.flush()
        }
    }
}
