import Checkpoints
import Foundation
import Layers
import Models

/// Saving and loading trained models as Hugging Face folders.
///
/// A saved folder holds:
/// - `config.json`: the encoder's `BertConfig` with `architectures` (`BertForSequenceClassification`
///   or `BertForTokenClassification`), `id2label`, `label2id` and `problem_type`; with extract-layers,
///   `num_hidden_layers` is the number of layers kept;
/// - `model.safetensors`: every weight under transformers' key names (`bert.…`, `classifier.…`);
/// - the tokenizer files of the pretrained model;
/// - `bertkit.json`: BertKit's head settings (pooling, hidden layer, features), transfer mode and
///   max length (see docs/export.md). transformers ignores it.
///
/// With `pooler` pooling (sequence tasks) or a tagging head, `last` features and no hidden layer,
/// transformers' `AutoModelForSequenceClassification` / `AutoModelForTokenClassification` load the
/// folder and give the same logits (scripts/check_export.py). Other heads need the recipe in
/// docs/export.md: a hidden layer or concat-last-4 fails to load in transformers, and other heads
/// load with a fresh pooler or read the wrong layer, giving other logits.
extension TransferModel {
    public static let settingsFileName = "bertkit.json"
    static let tokenizerFiles = ["tokenizer.json", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json"]

    /// What `bertkit.json` holds.
    public struct SavedSettings: Codable, Sendable, Equatable {
        public var format = 1
        public var head: HeadSettings
        public var mode: TransferMode
        public var freeze: FreezeSpec
        public var maxLength: Int

        enum CodingKeys: String, CodingKey {
            case format, head, mode, freeze
            case maxLength = "max_length"
        }
    }

    /// The transformers class this model saves as (`RobertaForSequenceClassification`, …).
    public var architecture: String {
        config.classPrefix + (head.task == .tagging ? "ForTokenClassification" : "ForSequenceClassification")
    }

    /// transformers' `problem_type` for this head.
    var problemType: String? {
        switch head.task {
        case .classification: return "single_label_classification"
        case .regression: return "regression"
        case .multiLabel: return "multi_label_classification"
        case .tagging: return nil
        }
    }

    /// Writes the model folder; each file is replaced atomically.
    ///
    /// - Parameter tokenizerFrom: a folder whose tokenizer files are copied alongside.
    public func save(to folder: URL, tokenizerFrom: URL?, maxLength: Int) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: folder, withIntermediateDirectories: true)
        var writer = SafeTensorsWriter()
        for p in store.parameters { writer.add(p.name, shape: p.shape, values: p.value.scalars) }
        try writer.write(to: folder.appending(path: "model.safetensors"))
        try config.write(to: folder.appending(path: "config.json"), architecture: architecture, labels: head.labels, problemType: problemType)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let settings = SavedSettings(head: head, mode: mode, freeze: freeze, maxLength: maxLength)
        try AtomicFile.write(try encoder.encode(settings), to: folder.appending(path: TransferModel.settingsFileName))
        if let source = tokenizerFrom, source.standardizedFileURL != folder.standardizedFileURL {
            for name in TransferModel.tokenizerFiles where fm.fileExists(atPath: source.appending(path: name).path) {
                try AtomicFile.write(try Data(contentsOf: source.appending(path: name)), to: folder.appending(path: name))
            }
        }
    }

    /// Loads a folder written by ``save(to:tokenizerFrom:maxLength:)``, or a transformers
    /// `BertForSequenceClassification` / `BertForTokenClassification` folder.
    public static func load(_ folder: URL) throws -> (model: TransferModel, maxLength: Int) {
        let configURL = folder.appending(path: "config.json")
        let config = try EncoderConfig(contentsOf: configURL)
        let settingsURL = folder.appending(path: settingsFileName)
        let settings: SavedSettings
        if FileManager.default.fileExists(atPath: settingsURL.path) {
            do { settings = try JSONDecoder().decode(SavedSettings.self, from: Data(contentsOf: settingsURL)) }
            catch { throw TransferError.invalidModelFolder(settingsURL, "unreadable head settings: \(error)") }
        } else {
            settings = try transformersSettings(config, file: configURL)
        }
        let model = try TransferModel(config: config, head: settings.head, mode: settings.mode, freeze: settings.freeze,
                                      seed: 0, deferInitialization: true)
        try model.store.load(from: try Checkpoint.open(folder))
        model.store.initializePending()
        return (model, settings.maxLength)
    }

    /// Settings for a plain transformers task folder: its architecture decides the head.
    static func transformersSettings(_ config: EncoderConfig, file: URL) throws -> SavedSettings {
        let (labels, architecture, problemType) = try config.savedLabels(file: file)
        let task: TaskKind
        switch (architecture.hasSuffix("ForTokenClassification"), architecture.hasSuffix("ForSequenceClassification"), problemType) {
        case (true, _, _): task = .tagging
        case (_, true, "regression"): task = .regression
        case (_, true, "multi_label_classification"): task = .multiLabel
        case (_, true, _): task = .classification
        default:
            throw TransferError.invalidModelFolder(file, "architecture \"\(architecture)\" has no task head here; "
                + "expected …ForSequenceClassification or …ForTokenClassification (or a \(settingsFileName))")
        }
        return SavedSettings(head: HeadSettings(task: task, labels: labels, pooling: .pooler), mode: .fineTuning,
                             freeze: FreezeSpec(), maxLength: 512)
    }
}
