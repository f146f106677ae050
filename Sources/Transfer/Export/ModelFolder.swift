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

    /// What `bertkit.json` holds. It is written last and is the folder's manifest: from format 2 on,
    /// it names the save's run id (also in `config.json` and the weights' metadata) and the size
    /// of every file, so that a folder mixing two runs, or cut short by a crash, is refused.
    public struct SavedSettings: Codable, Sendable, Equatable {
        public var format = SavedSettings.currentFormat
        public var head: HeadSettings
        public var mode: TransferMode
        public var freeze: FreezeSpec
        public var maxLength: Int
        /// The save's run id (format 2).
        public var run: String?
        /// Each file of the folder and its size in bytes (format 2).
        public var files: [String: Int]?
        /// In an adapter folder (`--mode lora`): the adapters' settings.
        public var lora: LoRASettings?
        /// In an adapter folder: the base model the adapters were trained on (id or folder), as given.
        public var base: String?

        /// The format this version writes; it reads 1 (no manifest) and 2.
        public static let currentFormat = 2

        enum CodingKeys: String, CodingKey {
            case format, head, mode, freeze, run, files, lora, base
            case maxLength = "max_length"
        }
    }

    /// The key of the run id in `config.json` and in the weights' `__metadata__`.
    static let runKey = "bertkit_run"

    /// The transformers class this model saves as (`RobertaForSequenceClassification`, …).
    public var architecture: String {
        switch head.task {
        case .tagging: return config.classPrefix + "ForTokenClassification"
        case .questionAnswering: return config.classPrefix + "ForQuestionAnswering"
        default: return config.classPrefix + "ForSequenceClassification"
        }
    }

    /// transformers' `problem_type` for this head.
    var problemType: String? {
        switch head.task {
        case .classification: return "single_label_classification"
        case .regression: return "regression"
        case .multiLabel: return "multi_label_classification"
        case .tagging, .questionAnswering: return nil
        }
    }

    /// The first parameter holding a NaN or an infinity, if any.
    public func firstNonFiniteParameter() -> String? {
        for p in store.parameters {
            let finite = p.value.withUnsafeBufferPointer { buffer in buffer.allSatisfy(\.isFinite) }
            if !finite { return p.name }
        }
        return nil
    }

    /// Writes the model folder. Each file is replaced atomically, `bertkit.json` (the manifest)
    /// goes first out and last in, and every file carries the save's run id: a crash at any point
    /// leaves a folder that ``load(_:)`` either loads whole or refuses.
    ///
    /// - Parameter tokenizerFrom: a folder whose tokenizer files are copied alongside.
    /// - Throws: ``TransferError/training(_:)`` when a weight is NaN or infinite (nothing is written).
    public func save(to folder: URL, tokenizerFrom: URL?, maxLength: Int) throws {
        if let name = firstNonFiniteParameter() {
            throw TransferError.training("refusing to save \(folder.path): weight \(name) holds NaN or infinity")
        }
        guard adapters.isEmpty else {
            throw TransferError.invalidSetting("the model has LoRA adapters: save them with saveAdapter(to:…), "
                + "or merge them first (mergeAdapters()) to save a plain model")
        }
        let fm = FileManager.default
        try fm.createDirectory(at: folder, withIntermediateDirectories: true)
        let run = UUID().uuidString
        let settingsURL = folder.appending(path: TransferModel.settingsFileName)
        // The manifest goes first: until the new one is written, the folder is refused, not mixed.
        try AtomicFile.remove(settingsURL)
        var files: [String] = ["model.safetensors", "config.json"]
        var writer = SafeTensorsWriter(metadata: ["format": "pt", TransferModel.runKey: run])
        for p in store.parameters { writer.add(p.name, shape: p.shape, values: p.value.scalars) }
        try writer.write(to: folder.appending(path: "model.safetensors"))
        try config.write(to: folder.appending(path: "config.json"), architecture: architecture, labels: head.labels,
                         problemType: problemType, run: run)
        files += try TransferModel.copyTokenizerFiles(from: tokenizerFrom, to: folder)
        var sizes: [String: Int] = [:]
        for name in files { sizes[name] = try TransferModel.fileSize(folder.appending(path: name)) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        // A merged LoRA model is a plain fine-tuned one.
        let settings = SavedSettings(head: head, mode: mode == .lora ? .fineTuning : mode, freeze: freeze, maxLength: maxLength,
                                     run: run, files: sizes)
        try AtomicFile.write(try encoder.encode(settings), to: settingsURL)
    }

    /// Copies `source`'s tokenizer files into `folder`, each atomically, and removes those `source`
    /// lacks (another run's would be read with this model). Returns the names `folder` then holds;
    /// with no `source`, or `folder` itself, the ones already there.
    static func copyTokenizerFiles(from source: URL?, to folder: URL) throws -> [String] {
        let fm = FileManager.default
        guard let source, source.standardizedFileURL != folder.standardizedFileURL else {
            return tokenizerFiles.filter { fm.fileExists(atPath: folder.appending(path: $0).path) }
        }
        var copied: [String] = []
        for name in tokenizerFiles {
            let from = source.appending(path: name), to = folder.appending(path: name)
            if fm.fileExists(atPath: from.path) {
                try AtomicFile.write(try Data(contentsOf: from), to: to)
                copied.append(name)
            } else if fm.fileExists(atPath: to.path) {
                try AtomicFile.remove(to)
            }
        }
        return copied
    }

    static func fileSize(_ url: URL) throws -> Int {
        do { return (try FileManager.default.attributesOfItem(atPath: url.path)[.size] as? NSNumber)?.intValue ?? -1 }
        catch { throw TransferError.invalidModelFolder(url, "cannot read the file's size: \(error.localizedDescription)") }
    }

    /// Loads a folder written by ``save(to:tokenizerFrom:maxLength:)``, or a transformers
    /// `BertForSequenceClassification` / `BertForTokenClassification` folder.
    ///
    /// - Throws: ``TransferError/invalidModelFolder(_:_:)`` naming the file when the folder's files
    ///   come from different saves, a save was cut short, a setting is out of range, or a weight
    ///   is NaN or infinite.
    public static func load(_ folder: URL) throws -> (model: TransferModel, maxLength: Int) {
        let configURL = folder.appending(path: "config.json")
        let configJSON = try JSONConfig(contentsOf: configURL)
        let config = try EncoderConfig(json: configJSON)
        let configRun = try configJSON.stringIfPresent(runKey)
        let settingsURL = folder.appending(path: settingsFileName)
        let settings: SavedSettings
        if FileManager.default.fileExists(atPath: settingsURL.path) {
            settings = try readSettings(settingsURL)
            try checkManifest(settings, folder: folder, configRun: configRun)
        } else if configRun != nil {
            throw TransferError.invalidModelFolder(settingsURL, "missing, but config.json was written by bertkit train: "
                + "the save was interrupted; train again (with --resume if the checkpoint is still there)")
        } else {
            settings = try transformersSettings(config, file: configURL)
        }
        let weights = try Checkpoint.open(folder)
        let model: TransferModel
        do {
            model = try TransferModel(config: config, head: settings.head, mode: settings.mode, freeze: settings.freeze,
                                      seed: 0, deferInitialization: true, weights: (weights, "", [""]))
        } catch {
            throw TransferError.invalidModelFolder(settingsURL, "\(error)")
        }
        guard (1...config.maxSequenceLength).contains(settings.maxLength) else {
            throw TransferError.invalidModelFolder(settingsURL, "max_length must be in 1…\(config.maxSequenceLength) "
                + "(the model's max_position_embeddings), found \(settings.maxLength)")
        }
        try model.store.load(from: weights)
        model.store.initializePending()
        if let name = model.firstNonFiniteParameter() {
            throw TransferError.invalidModelFolder(folder, "weight \(name) holds NaN or infinity (a diverged run?)")
        }
        return (model, settings.maxLength)
    }

    /// Reads and checks `bertkit.json`.
    static func readSettings(_ url: URL) throws -> SavedSettings {
        let data: Data
        do { data = try FileContents.read(url) }
        catch { throw TransferError.invalidModelFolder(url, error.reason) }
        let settings: SavedSettings
        do { settings = try JSONDecoder().decode(SavedSettings.self, from: data) }
        catch {
            // A newer format is refused for what it is, not for a field it renamed: only then is the
            // text read again, for its format.
            if let format = (try? JSONValue.parse(data))?.objectValue?["format"] { try checkFormat(format, url) }
            let reason = (error as? DecodingError)?.oneLineDescription ?? error.localizedDescription
            throw TransferError.invalidModelFolder(url, "unreadable head settings: \(reason)")
        }
        try checkFormat(.int(settings.format), url)
        if settings.maxLength <= 0 {
            throw TransferError.invalidModelFolder(url, "max_length must be positive, found \(settings.maxLength)")
        }
        if !settings.head.leakySlope.isFinite {
            throw TransferError.invalidModelFolder(url, "head.leakySlope must be finite, found \(settings.head.leakySlope)")
        }
        return settings
    }

    /// Refuses a `bertkit.json` format this version does not read.
    static func checkFormat(_ format: JSONValue, _ url: URL) throws {
        guard let number = format.intValue, (1...SavedSettings.currentFormat).contains(number) else {
            throw TransferError.invalidModelFolder(url, "format \(format.excerpt) is not one this BertKit reads "
                + "(1…\(SavedSettings.currentFormat)); a newer BertKit wrote it, or the file was edited")
        }
    }

    /// From format 2 on: every file must come from the save `bertkit.json` names.
    static func checkManifest(_ settings: SavedSettings, folder: URL, configRun: String?) throws {
        guard settings.format >= 2 else { return }
        let settingsURL = folder.appending(path: settingsFileName)
        guard let run = settings.run, let files = settings.files else {
            throw TransferError.invalidModelFolder(settingsURL, "format 2 needs \"run\" and \"files\"")
        }
        let mixed = "comes from another save than \(settingsFileName) (an interrupted or mixed save); train again"
        guard configRun == run else { throw TransferError.invalidModelFolder(folder.appending(path: "config.json"), mixed) }
        let weightsURL = folder.appending(path: "model.safetensors")
        guard try SafeTensorsFile(url: weightsURL).metadata[runKey] == run else {
            throw TransferError.invalidModelFolder(weightsURL, mixed)
        }
        for (name, size) in files.sorted(by: { $0.key < $1.key }) {
            let url = folder.appending(path: name)
            guard FileManager.default.fileExists(atPath: url.path) else {
                throw TransferError.invalidModelFolder(url, "missing (\(settingsFileName) lists it)")
            }
            guard try fileSize(url) == size else { throw TransferError.invalidModelFolder(url, mixed) }
        }
        for name in tokenizerFiles where files[name] == nil && FileManager.default.fileExists(atPath: folder.appending(path: name).path) {
            throw TransferError.invalidModelFolder(folder.appending(path: name), mixed)
        }
    }

    /// Settings for a plain transformers task folder: its architecture decides the head.
    static func transformersSettings(_ config: EncoderConfig, file: URL) throws -> SavedSettings {
        // A question-answering head has no labels (transformers writes no id2label for it).
        if try JSONConfig(contentsOf: file).stringsIfPresent("architectures")?.first?.hasSuffix("ForQuestionAnswering") == true {
            // run_qa's 384 and 128, or a third of a shorter model's positions.
            let maxLength = min(384, config.maxSequenceLength)
            var head = HeadSettings(task: .questionAnswering, labels: [])
            head.docStride = min(128, maxLength / 3)
            return SavedSettings(head: head, mode: .fineTuning, freeze: FreezeSpec(), maxLength: maxLength)
        }
        let (labels, architecture, problemType) = try config.savedLabels(file: file)
        let task: TaskKind
        switch (architecture.hasSuffix("ForTokenClassification"), architecture.hasSuffix("ForSequenceClassification"), problemType) {
        case (true, _, _): task = .tagging
        case (_, true, "regression"): task = .regression
        case (_, true, "multi_label_classification"): task = .multiLabel
        case (_, true, _): task = .classification
        default:
            throw TransferError.invalidModelFolder(file, "architecture \"\(architecture)\" has no task head here; "
                + "expected …ForSequenceClassification, …ForTokenClassification or …ForQuestionAnswering (or a \(settingsFileName))")
        }
        return SavedSettings(head: HeadSettings(task: task, labels: labels, pooling: .pooler), mode: .fineTuning,
                             freeze: FreezeSpec(), maxLength: 512)
    }
}
