import Checkpoints
import Foundation
import Layers
import Models

/// LoRA adapters saved and loaded in Hugging Face PEFT's format.
///
/// An adapter folder holds:
/// - `adapter_config.json`: PEFT's `LoraConfig` (`peft_type` `LORA`, `r`, `lora_alpha`,
///   `lora_dropout`, `target_modules`, `modules_to_save`, `task_type`, `base_model_name_or_path`);
/// - `adapter_model.safetensors`: the adapters and the trained head under PEFT's key names,
///   `base_model.model.` + the parameter's own name (`base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight`,
///   `base_model.model.classifier.weight`), so `peft.PeftModel.from_pretrained` loads it onto the
///   base model's `AutoModelFor…Classification`;
/// - the tokenizer files, and `bertkit.json` (the head settings, `mode` `lora`, the LoRA settings and
///   the base model; written last, the folder's manifest as in a model folder).
///
/// ``load(base:revision:adapter:)`` also reads adapters that PEFT wrote, with or without `bertkit.json`.
extension TransferModel {
    public static let adapterConfigFileName = "adapter_config.json"
    public static let adapterWeightsFileName = "adapter_model.safetensors"
    /// What PEFT puts in front of every parameter name in an adapter file.
    static let peftKeyPrefix = "base_model.model."

    /// The parameters an adapter file holds: every adapter, and every trainable parameter
    /// outside them (the head; with pooler pooling, the encoder's pooler).
    var adapterFileParameters: [Parameter] {
        store.parameters.filter { ParameterStore.isAdapterParameter($0.name) || $0.trainable }
    }

    /// PEFT's `modules_to_save`: the modules of the trainable parameters besides the adapters,
    /// by their last-but-one segment under the encoder (`pooler`) or first segment (`classifier`).
    var modulesToSave: [String] {
        var modules: [String] = []
        for p in adapterFileParameters where !ParameterStore.isAdapterParameter(p.name) {
            let name = p.name.hasPrefix(encoderPrefix) ? String(p.name.dropFirst(encoderPrefix.count)) : p.name
            let module = String(name.split(separator: ".").first ?? "")
            if !modules.contains(module) { modules.append(module) }
        }
        return modules
    }

    /// PEFT's `task_type` for this head.
    var peftTaskType: String {
        switch head.task {
        case .tagging: return "TOKEN_CLS"
        case .questionAnswering: return "QUESTION_ANS"
        default: return "SEQ_CLS"
        }
    }

    /// Writes the adapters and the head as a PEFT adapter folder. Each file is replaced
    /// atomically and `bertkit.json` goes first out and last in, as in ``save(to:tokenizerFrom:maxLength:)``.
    ///
    /// - Parameters:
    ///   - baseModel: the base model's id or folder, written as `base_model_name_or_path`.
    ///   - tokenizerFrom: a folder whose tokenizer files are copied alongside.
    public func saveAdapter(to folder: URL, baseModel: String, tokenizerFrom: URL?, maxLength: Int) throws {
        guard let lora, !adapters.isEmpty else {
            throw TransferError.invalidSetting("the model has no LoRA adapters to save (mode \(mode))")
        }
        if let name = firstNonFiniteParameter() {
            throw TransferError.training("refusing to save \(folder.path): weight \(name) holds NaN or infinity")
        }
        let fm = FileManager.default
        try fm.createDirectory(at: folder, withIntermediateDirectories: true)
        let run = UUID().uuidString
        let settingsURL = folder.appending(path: TransferModel.settingsFileName)
        try AtomicFile.remove(settingsURL)
        var writer = SafeTensorsWriter(metadata: ["format": "pt", TransferModel.runKey: run])
        for p in adapterFileParameters { writer.add(TransferModel.peftKeyPrefix + p.name, shape: p.shape, values: p.value.scalars) }
        try writer.write(to: folder.appending(path: TransferModel.adapterWeightsFileName))
        let targets = lora.targets ?? LoRASettings.defaultTargets(for: config)
        let adapterConfig: JSONValue = [
            "peft_type": "LORA",
            "task_type": .string(peftTaskType),
            "base_model_name_or_path": .string(baseModel),
            "r": .int(lora.rank),
            "lora_alpha": .double(lora.alpha),
            "lora_dropout": .double(lora.dropout),
            "target_modules": .array(targets.map { JSONValue.string($0) }),
            "modules_to_save": .array(modulesToSave.map { JSONValue.string($0) }),
            "bias": "none",
            "fan_in_fan_out": false,
            "inference_mode": true,
            "init_lora_weights": true,
            "use_rslora": false,
            "use_dora": false,
            "rank_pattern": [:],
            "alpha_pattern": [:],
            "layers_to_transform": .null,
            "layers_pattern": .null,
            "revision": .null,
        ]
        try AtomicFile.write(Data((adapterConfig.serialized(indent: 2) + "\n").utf8), to: folder.appending(path: TransferModel.adapterConfigFileName))
        let files = [TransferModel.adapterWeightsFileName, TransferModel.adapterConfigFileName]
            + (try TransferModel.copyTokenizerFiles(from: tokenizerFrom, to: folder))
        var sizes: [String: Int] = [:]
        for name in files { sizes[name] = try TransferModel.fileSize(folder.appending(path: name)) }
        var settings = SavedSettings(head: head, mode: .lora, freeze: freeze, maxLength: maxLength, run: run, files: sizes)
        settings.lora = lora
        settings.base = baseModel
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(settings), to: settingsURL)
    }

    /// A base model with a PEFT LoRA adapter folder on it: written by ``saveAdapter(to:baseModel:tokenizerFrom:maxLength:)``
    /// or by PEFT (`PeftModel.save_pretrained`). The adapters stay unmerged (one extra low-rank
    /// product per adapted layer); ``mergeAdapters()`` folds them into the weights.
    ///
    /// The head comes from the adapter's `bertkit.json`, else from the base folder's transformers
    /// task config (`…ForSequenceClassification`), else from the adapter's `classifier.weight`
    /// (labels `LABEL_0`…, pooler pooling, as transformers does). The head's weights come from the
    /// adapter file (PEFT's `modules_to_save`), else from the base folder.
    ///
    /// - Throws: ``TransferError/invalidModelFolder(_:_:)`` naming the file and key when the adapter
    ///   uses a PEFT feature BertKit does not run, a key names no parameter, or a shape differs.
    public static func load(base: String, revision: String? = nil, adapter folder: URL) throws -> (model: TransferModel, maxLength: Int) {
        let adapter = try LoRAAdapter(folder: folder)
        do {
            return try load(base: base, revision: revision, adapter: adapter)
        } catch where !adapter.isMadeFor(base: base, revision: revision) {
            // Shapes that do not fit most likely mean the wrong base: say which one the adapter wants.
            throw TransferError.invalidModelFolder(folder.appending(path: adapterConfigFileName),
                "made for \"\(adapter.baseModelName ?? "")\" (base_model_name_or_path), not \(base): \(error)")
        }
    }

    private static func load(base: String, revision: String?, adapter: LoRAAdapter) throws -> (model: TransferModel, maxLength: Int) {
        let folder = adapter.folder
        let baseFolder = try ModelLocation.resolve(base, revision: revision)
        let baseConfigURL = baseFolder.appending(path: "config.json")
        let config = try EncoderConfig(contentsOf: baseConfigURL)

        let settingsURL = folder.appending(path: settingsFileName)
        var head: HeadSettings, maxLength = min(config.maxSequenceLength, 512), freeze = FreezeSpec()
        if let settings = adapter.bertkitSettings {
            head = settings.head
            maxLength = settings.maxLength
            freeze = settings.freeze
        } else if let saved = try? config.savedLabels(file: baseConfigURL),
                  saved.architecture.hasSuffix("ForSequenceClassification") || saved.architecture.hasSuffix("ForTokenClassification") {
            head = try transformersSettings(config, file: baseConfigURL).head
        } else if let info = adapter.weights.info(peftKeyPrefix + "classifier.weight") ?? adapter.weights.info(peftKeyPrefix + "classifier.out_proj.weight"),
                  info.shape.count == 2 {
            head = HeadSettings(task: .classification, labels: (0..<info.shape[0]).map { "LABEL_\($0)" }, pooling: .pooler)
        } else {
            throw TransferError.invalidModelFolder(folder, "no head: neither \(settingsFileName), nor a task config.json in the base model, "
                + "nor \(peftKeyPrefix)classifier.weight in \(adapterWeightsFileName)")
        }
        guard (1...config.maxSequenceLength).contains(maxLength) else {
            throw TransferError.invalidModelFolder(settingsURL, "max_length must be in 1…\(config.maxSequenceLength), found \(maxLength)")
        }
        let model = try pretrained(baseFolder.path, head: head, mode: .lora, freeze: freeze, lora: adapter.settings)
        // The head from the base folder first (a transformers task folder has one); the adapter overrides it.
        let baseWeights = try Checkpoint.open(baseFolder)
        var loaded = Set<String>()
        for p in model.store.parameters where !p.name.hasPrefix(model.encoderPrefix) {
            if let info = baseWeights.info(p.name), info.shape == p.shape {
                let values = try baseWeights.floats(p.name, shape: p.shape)
                p.value.withUnsafeMutableBufferPointer { buffer in for i in buffer.indices { buffer[i] = values[i] } }
                loaded.insert(p.name)
            }
        }
        loaded.formUnion(try adapter.fill(model.store, encoderPrefix: model.encoderPrefix, adapters: model.adapters, ignoringOtherKeys: false))
        // A head neither file holds would predict from random weights.
        for p in model.store.parameters where !p.name.hasPrefix(model.encoderPrefix) && !loaded.contains(p.name) {
            throw TransferError.invalidModelFolder(adapter.weightsURL, "missing key \"\(peftKeyPrefix + p.name)\": the head's weights "
                + "(modules_to_save) are in neither the adapter nor the base model")
        }
        if let name = model.firstNonFiniteParameter() {
            throw TransferError.invalidModelFolder(adapter.weightsURL, "weight \(name) holds NaN or infinity")
        }
        return (model, maxLength)
    }

    /// Reads PEFT's `adapter_config.json` into ``LoRASettings``, refusing what BertKit does not run.
    static func readAdapterConfig(_ url: URL) throws -> LoRASettings {
        let data: Data
        do { data = try FileContents.read(url) }
        catch { throw TransferError.invalidModelFolder(url, error.reason) }
        let json: JSONValue
        do { json = try JSONValue.parse(data) }
        catch { throw TransferError.invalidModelFolder(url, "not JSON: \(error)") }
        guard let object = json.objectValue else { throw TransferError.invalidModelFolder(url, "expected a JSON object") }
        func fail(_ key: String, _ text: String) -> TransferError { .invalidModelFolder(url, "\"\(key)\": \(text)") }
        guard object["peft_type"]?.stringValue == "LORA" else {
            throw fail("peft_type", "expected \"LORA\", found \(object["peft_type"]?.excerpt ?? "nothing")")
        }
        guard let rank = object["r"]?.intValue, rank >= 1 else { throw fail("r", "expected a positive integer, found \(object["r"]?.excerpt ?? "nothing")") }
        guard let alpha = object["lora_alpha"]?.doubleValue, alpha > 0 else {
            throw fail("lora_alpha", "expected a positive number, found \(object["lora_alpha"]?.excerpt ?? "nothing")")
        }
        let dropout = object["lora_dropout"]?.doubleValue ?? 0
        let targets: [String]
        switch object["target_modules"] {
        case .array(let items)?:
            targets = try items.map { item in
                guard let s = item.stringValue else { throw fail("target_modules", "expected strings, found \(item.excerpt)") }
                return s
            }
        case .string(let s)?: throw fail("target_modules", "a regular expression (\(s)) is not supported; list the layer names")
        default: throw fail("target_modules", "expected a list of layer names")
        }
        for key in ["use_dora", "use_rslora", "fan_in_fan_out"] where object[key]?.boolValue == true {
            throw fail(key, "true is not supported (BertKit runs plain LoRA)")
        }
        if let bias = object["bias"]?.stringValue, bias != "none" { throw fail("bias", "\"\(bias)\" is not supported; only \"none\"") }
        for key in ["rank_pattern", "alpha_pattern"] {
            if let pattern = object[key]?.objectValue, !pattern.isEmpty { throw fail(key, "per-layer ranks or alphas are not supported") }
        }
        for key in ["layers_to_transform", "layer_replication", "target_parameters"] {
            if let value = object[key], !value.isNull { throw fail(key, "is not supported (found \(value.excerpt))") }
        }
        let settings = LoRASettings(rank: rank, alpha: alpha, dropout: dropout, targets: targets)
        do { try settings.validate() } catch { throw TransferError.invalidModelFolder(url, "\(error)") }
        return settings
    }
}

/// A PEFT LoRA adapter folder, read: its settings and weights, to put on a model's dense layers.
///
/// ```swift
/// let adapter = try LoRAAdapter(folder: URL(fileURLWithPath: "out/sst2-lora"))
/// try adapter.attach(to: encoder, defaultTargets: ["query", "value"], ignoringOtherKeys: true)
/// ```
public struct LoRAAdapter {
    public let folder: URL
    /// From `adapter_config.json`.
    public let settings: LoRASettings
    /// `bertkit.json`, when BertKit wrote the folder.
    public let bertkitSettings: TransferModel.SavedSettings?
    /// `base_model_name_or_path` in `adapter_config.json`: the base the adapter was trained on, as
    /// its trainer named it (an id or a path), when given.
    public let baseModelName: String?
    let weights: SafeTensorsFile
    var weightsURL: URL { folder.appending(path: TransferModel.adapterWeightsFileName) }

    public init(folder: URL) throws {
        self.folder = folder
        let configURL = folder.appending(path: TransferModel.adapterConfigFileName)
        guard FileManager.default.fileExists(atPath: configURL.path) else {
            throw TransferError.invalidModelFolder(configURL, "missing: an adapter folder holds adapter_config.json and adapter_model.safetensors (PEFT's format)")
        }
        settings = try TransferModel.readAdapterConfig(configURL)
        let name = try JSONConfig(contentsOf: configURL).stringIfPresent("base_model_name_or_path")
        baseModelName = name?.isEmpty == false ? name : nil
        let weightsURL = folder.appending(path: TransferModel.adapterWeightsFileName)
        weights = try SafeTensorsFile(url: weightsURL)
        let settingsURL = folder.appending(path: TransferModel.settingsFileName)
        if FileManager.default.fileExists(atPath: settingsURL.path) {
            let saved = try TransferModel.readSettings(settingsURL)
            if let run = saved.run, weights.metadata[TransferModel.runKey] != run {
                throw TransferError.invalidModelFolder(weightsURL, "comes from another save than \(TransferModel.settingsFileName) (an interrupted or mixed save)")
            }
            bertkitSettings = saved
        } else {
            bertkitSettings = nil
        }
    }

    /// Whether `base` is the model ``baseModelName`` names: the same text, or both resolve to the
    /// same folder (a cached id and its snapshot path). True when the adapter names no base.
    public func isMadeFor(base: String, revision: String? = nil) -> Bool {
        guard let baseModelName, baseModelName != base else { return true }
        guard let named = try? ModelLocation.resolve(baseModelName), let given = try? ModelLocation.resolve(base, revision: revision) else {
            return false
        }
        return named.standardizedFileURL.resolvingSymlinksInPath() == given.standardizedFileURL.resolvingSymlinksInPath()
    }

    /// Whether `folder` is an adapter folder alone (PEFT's `adapter_config.json`, no `config.json`).
    public static func isAdapterFolder(_ folder: URL) -> Bool {
        let fm = FileManager.default
        return fm.fileExists(atPath: folder.appending(path: TransferModel.adapterConfigFileName).path)
            && !fm.fileExists(atPath: folder.appending(path: "config.json").path)
    }

    /// Where the tokenizer of a base model with this adapter folder is: the adapter folder when it
    /// has one (`bertkit train` copies it there), else the base model's folder.
    public static func tokenizerFolder(adapter: URL, base: String, revision: String? = nil) throws -> URL {
        let hasTokenizer = ["tokenizer.json", "vocab.txt"].contains { FileManager.default.fileExists(atPath: adapter.appending(path: $0).path) }
        return hasTokenizer ? adapter : try ModelLocation.resolve(base, revision: revision)
    }

    /// Attaches the adapters to the encoder's dense layers and fills them
    /// (``fill(_:encoderPrefix:adapters:ignoringOtherKeys:)``).
    public func attach(to encoder: EncoderModel, defaultTargets: [String], ignoringOtherKeys: Bool) throws {
        try settings.attach(to: encoder, under: encoder.prefix, defaultTargets: defaultTargets)
        try fill(encoder.store, encoderPrefix: encoder.prefix, adapters: Linear.adapters(in: encoder), ignoringOtherKeys: ignoringOtherKeys)
    }

    /// Fills parameters from the adapter file's `base_model.model.…` keys. The key's name is looked
    /// up as it is, with `encoderPrefix` in front (an adapter made on a bare `BertModel` has
    /// `base_model.model.encoder.…`), and with its first segment replaced by `encoderPrefix` (a
    /// sequence-classification adapter, `….bert.encoder.…`, on a bare encoder).
    ///
    /// - Parameters:
    ///   - adapters: the attached adapters, each of which the file must fill.
    ///   - ignoringOtherKeys: skip keys outside the adapters that name no parameter (a classifier,
    ///     when only the encoder is loaded); otherwise they are an error.
    /// - Returns: the names of the parameters filled.
    @discardableResult
    public func fill(_ store: ParameterStore, encoderPrefix: String, adapters: [(layer: Linear, adapter: LoRA)],
                     ignoringOtherKeys: Bool) throws -> Set<String> {
        let prefix = TransferModel.peftKeyPrefix
        var loaded = Set<String>()
        for key in weights.floatKeys.sorted() {
            guard key.hasPrefix(prefix) else {
                throw TransferError.invalidModelFolder(weightsURL, "key \"\(key)\" does not start with \(prefix) (not a PEFT adapter file)")
            }
            let name = String(key.dropFirst(prefix.count))
            let withoutFirst = name.split(separator: ".", maxSplits: 1).dropFirst().first.map { encoderPrefix + $0 }
            guard let parameter = store[name] ?? store[encoderPrefix + name] ?? withoutFirst.flatMap({ store[$0] }) else {
                if ignoringOtherKeys && !ParameterStore.isAdapterParameter(name) { continue }
                throw TransferError.invalidModelFolder(weightsURL, "key \"\(key)\" names no parameter of this model "
                    + "(is the adapter for another base model, or are target_modules different?)")
            }
            guard let info = weights.info(key), info.shape == parameter.shape else {
                throw TransferError.invalidModelFolder(weightsURL, "key \"\(key)\": shape \(weights.info(key)?.shape ?? []), expected \(parameter.shape)")
            }
            let values = try weights.floats(key, shape: parameter.shape)
            guard values.allSatisfy(\.isFinite) else {
                throw TransferError.invalidModelFolder(weightsURL, "key \"\(key)\" holds NaN or infinite values")
            }
            parameter.value.withUnsafeMutableBufferPointer { buffer in for i in buffer.indices { buffer[i] = values[i] } }
            loaded.insert(parameter.name)
        }
        for (_, adapter) in adapters {
            for p in [adapter.a, adapter.b] where !loaded.contains(p.name) {
                throw TransferError.invalidModelFolder(weightsURL, "missing key \"\(prefix + p.name)\"")
            }
        }
        return loaded
    }
}
