import BertKitJSON
import Checkpoints
import Foundation
import Layers

/// Saving an ``EmbeddingModel`` as a sentence-transformers folder, which `SentenceTransformer(folder)`,
/// `SentenceEmbedder`, `bertkit embed` and `bertkit serve` load:
///
/// - `config.json`, `model.safetensors` (the encoder's keys, LoRA adapters merged in), the tokenizer files:
///   the `Transformer` module, at the folder's root;
/// - `modules.json`: `Transformer` → `Pooling` (`1_Pooling/config.json`) → `Normalize` (`2_Normalize/`,
///   when vectors are normalised);
/// - `sentence_bert_config.json` (`max_seq_length`, `do_lower_case`) and
///   `config_sentence_transformers.json` (cosine similarity).
///
/// Each file is replaced atomically and `modules.json` is written last: a folder cut short by a crash
/// has no pipeline to load.
extension EmbeddingModel {
    public func save(to folder: URL, tokenizerFrom: URL) throws {
        for p in store.parameters where !p.value.scalars.allSatisfy(\.isFinite) {
            throw TransferError.training("refusing to save \(folder.path): weight \(p.name) holds NaN or infinity")
        }
        let fm = FileManager.default
        try fm.createDirectory(at: folder, withIntermediateDirectories: true)
        let modulesURL = folder.appending(path: SentenceTransformerConfig.modulesFileName)
        try AtomicFile.remove(modulesURL)
        // LoRA: the folder holds the merged weights; the adapters stay on the model in memory.
        let deltas = Linear.adapters(in: encoder).map { ($0.layer.weight, $0.adapter.weightDelta()) }
        var writer = SafeTensorsWriter(metadata: ["format": "pt"])
        for p in store.parameters where !p.name.contains(".lora_") {
            var values = p.value.scalars
            if let delta = deltas.first(where: { $0.0 === p })?.1 { for i in values.indices { values[i] += delta[i] } }
            writer.add(p.name, shape: p.shape, values: values)
        }
        try writer.write(to: folder.appending(path: "model.safetensors"))
        // With extract layers, config.json says how many layers the folder holds.
        try config.keepingLayers(encoder.layerCount).write(to: folder.appending(path: "config.json"))
        _ = try TransferModel.copyTokenizerFiles(from: tokenizerFrom, to: folder)

        let modes: [(PoolingConfig.Mode, Bool)] = PoolingConfig.Mode.allCases.map { mode in
            switch mode {
            case .cls: (mode, pooling == .cls)
            case .mean: (mode, pooling == .mean)
            case .max: (mode, pooling == .max)
            default: (mode, false)
            }
        }
        var poolingJSON: [String: JSONValue] = ["word_embedding_dimension": .int(config.hiddenSize), "include_prompt": .bool(true)]
        for (mode, on) in modes { poolingJSON[mode.rawValue] = .bool(on) }
        try fm.createDirectory(at: folder.appending(path: "1_Pooling"), withIntermediateDirectories: true)
        try write(.object(poolingJSON), to: folder.appending(path: "1_Pooling/config.json"))
        let normalizeFolder = folder.appending(path: "2_Normalize")
        if normalize {
            try fm.createDirectory(at: normalizeFolder, withIntermediateDirectories: true)
        } else if fm.fileExists(atPath: normalizeFolder.path) {
            try fm.removeItem(at: normalizeFolder)
        }
        try write(["max_seq_length": .int(maxLength), "do_lower_case": .bool(false)],
                  to: folder.appending(path: SentenceTransformerConfig.settingsFileName))
        try write(["prompts": .object([:]), "default_prompt_name": .null, "similarity_fn_name": "cosine"],
                  to: folder.appending(path: "config_sentence_transformers.json"))
        var modules: [JSONValue] = [
            ["idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"],
            ["idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"],
        ]
        if normalize { modules.append(["idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"]) }
        try write(.array(modules), to: modulesURL)
    }

    private func write(_ value: JSONValue, to url: URL) throws {
        try AtomicFile.write(Data((value.serialized(indent: 2) + "\n").utf8), to: url)
    }
}
