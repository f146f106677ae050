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

    /// The transformers class this model saves as.
    public var architecture: String {
        head.task == .tagging ? "BertForTokenClassification" : "BertForSequenceClassification"
    }

    /// Writes the model folder; each file is replaced atomically.
    ///
    /// - Parameter tokenizerFrom: a folder whose tokenizer files are copied alongside.
    public func save(to folder: URL, tokenizerFrom: URL?, maxLength: Int) throws {
        let fm = FileManager.default
        try fm.createDirectory(at: folder, withIntermediateDirectories: true)
        var config = self.config
        config.architectures = [architecture]
        config.id2label = Dictionary(uniqueKeysWithValues: head.labels.enumerated().map { ($0.offset, $0.element) })
        config.label2id = Dictionary(uniqueKeysWithValues: head.labels.enumerated().map { ($0.element, $0.offset) })
        switch head.task {
        case .classification: config.problemType = "single_label_classification"
        case .regression: config.problemType = "regression"
        case .multiLabel: config.problemType = "multi_label_classification"
        case .tagging: config.problemType = nil
        }
        var writer = SafeTensorsWriter()
        for p in store.parameters { writer.add(p.name, shape: p.shape, values: p.value.scalars) }
        try writer.write(to: folder.appending(path: "model.safetensors"))
        try config.write(to: folder.appending(path: "config.json"))
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
        let config = try BertConfig(contentsOf: folder.appending(path: "config.json"))
        let settingsURL = folder.appending(path: settingsFileName)
        let settings: SavedSettings
        if FileManager.default.fileExists(atPath: settingsURL.path) {
            do { settings = try JSONDecoder().decode(SavedSettings.self, from: Data(contentsOf: settingsURL)) }
            catch { throw TransferError.invalidModelFolder(settingsURL, "unreadable head settings: \(error)") }
        } else {
            settings = try transformersSettings(config, folder: folder)
        }
        let model = try TransferModel(config: config, head: settings.head, mode: settings.mode, freeze: settings.freeze,
                                      seed: 0, deferInitialization: true)
        try model.store.load(from: try Checkpoint.open(folder))
        model.store.initializePending()
        return (model, settings.maxLength)
    }

    /// Settings for a plain transformers task folder: its architecture decides the head.
    static func transformersSettings(_ config: BertConfig, folder: URL) throws -> SavedSettings {
        guard let labels = config.id2label.map({ map in map.keys.sorted().map { map[$0]! } }) else {
            throw TransferError.invalidModelFolder(folder, "config.json has no id2label and there is no \(settingsFileName)")
        }
        let architecture = config.architectures?.first ?? ""
        let task: TaskKind
        switch (architecture, config.problemType) {
        case ("BertForTokenClassification", _): task = .tagging
        case ("BertForSequenceClassification", "regression"): task = .regression
        case ("BertForSequenceClassification", "multi_label_classification"): task = .multiLabel
        case ("BertForSequenceClassification", _): task = .classification
        default:
            throw TransferError.invalidModelFolder(folder, "architecture \"\(architecture)\" has no task head here; "
                + "expected BertForSequenceClassification or BertForTokenClassification (or a \(settingsFileName))")
        }
        return SavedSettings(head: HeadSettings(task: task, labels: labels, pooling: .pooler), mode: .fineTuning,
                             freeze: FreezeSpec(), maxLength: config.maxPositionEmbeddings)
    }
}
