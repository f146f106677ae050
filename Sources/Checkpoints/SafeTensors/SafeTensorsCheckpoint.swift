import Foundation

/// The weights of a model folder: one `model.safetensors`, or the shards listed by
/// `model.safetensors.index.json`, seen as one set of names.
///
/// ```swift
/// let weights = try SafeTensorsCheckpoint(contentsOf: try ModelLocation.resolve("bert-base-uncased"))
/// let query = try weights.floats("encoder.layer.0.attention.self.query.weight", shape: [768, 768])
/// ```
public struct SafeTensorsCheckpoint: WeightSource {
    /// The file name of a single-file checkpoint.
    public static let singleFileName = "model.safetensors"
    /// The file name of the index of a sharded checkpoint.
    public static let indexFileName = "model.safetensors.index.json"

    /// The opened files: one, or the shards in name order.
    public let files: [SafeTensorsFile]
    /// Every tensor name, sorted.
    public let keys: [String]
    private let fileIndex: [String: Int]

    /// Opens a checkpoint.
    ///
    /// - Parameter url: a model folder (holding `model.safetensors`, which is preferred, or
    ///   `model.safetensors.index.json`), a `.safetensors` file, or an index file.
    /// - Throws: ``CheckpointError`` when nothing readable is there (naming what is, such as a
    ///   PyTorch `pytorch_model.bin`, and how to convert it), when the index is malformed or names a
    ///   shard that is missing or lacks a tensor, or when a file is invalid.
    public init(contentsOf url: URL) throws(CheckpointError) {
        switch try CheckpointFiles.locate(url, singleFileName: Self.singleFileName, indexFileName: Self.indexFileName) {
        case .single(let file): self.init(single: try SafeTensorsFile(url: file))
        case .index(let index): try self.init(index: index)
        case nil: throw CheckpointError(file: url, .unsupportedCheckpoint(Self.explainMissingCheckpoint(in: url)))
        }
    }

    private init(single file: SafeTensorsFile) {
        files = [file]
        keys = file.keys
        fileIndex = Dictionary(uniqueKeysWithValues: file.keys.map { ($0, 0) })
    }

    private init(index url: URL) throws(CheckpointError) {
        let (files, fileIndex) = try ShardIndex(contentsOf: url).openShards(
            index: url, { (shard: URL) throws(CheckpointError) in try SafeTensorsFile(url: shard) }, has: { $0.info($1) != nil })
        self.files = files
        self.fileIndex = fileIndex
        self.keys = fileIndex.keys.sorted()
    }

    public func info(_ key: String) -> TensorInfo? {
        fileIndex[key].flatMap { files[$0].info(key) }
    }

    /// The shard holding `key`; for a missing key, the index (or the single file).
    public func file(containing key: String) -> URL? {
        if let i = fileIndex[key] { return files[i].url }
        return files.count == 1 ? files[0].url : files.first?.url.deletingLastPathComponent().appending(path: Self.indexFileName)
    }

    public func readFloats(_ key: String, into buffer: UnsafeMutableBufferPointer<Float>) throws(CheckpointError) {
        guard let i = fileIndex[key] else { throw missingTensorError(key) }
        try files[i].readFloats(key, into: buffer)
    }

    /// The integer or boolean tensor `key` as `Int64`s; see ``SafeTensorsFile/int64s(_:)``.
    public func int64s(_ key: String) throws(CheckpointError) -> [Int64] {
        guard let i = fileIndex[key] else { throw missingTensorError(key) }
        return try files[i].int64s(key)
    }

    /// Says what a folder without safetensors weights holds instead, and what to do.
    private static func explainMissingCheckpoint(in folder: URL) -> String {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        var text = "no \(singleFileName) or \(indexFileName) in this folder"
        let otherSafetensors = names.filter { $0.hasSuffix(".safetensors") }.sorted()
        let pytorch = names.filter { $0 == "pytorch_model.bin" || $0 == "pytorch_model.bin.index.json" || $0.hasSuffix(".pt") || $0.hasSuffix(".pth") }.sorted()
        let others = names.filter { $0 == "tf_model.h5" || $0 == "flax_model.msgpack" || $0.hasSuffix(".onnx") }.sorted()
        if !otherSafetensors.isEmpty {
            text += "; it has \(otherSafetensors.joined(separator: ", ")): open a file directly with SafeTensorsFile(url:)"
        }
        if !pytorch.isEmpty || !others.isEmpty {
            text += "; it has \((pytorch + others).joined(separator: ", ")), which SafeTensorsCheckpoint cannot read"
                + (pytorch.isEmpty ? "." : " (Checkpoint.open(_:) reads PyTorch checkpoints without running their code).")
                + " Convert it once in this folder, where Python, torch and safetensors are installed:"
                + " python -c \"import torch; from safetensors.torch import save_file;"
                + " sd = torch.load('pytorch_model.bin', map_location='cpu');"
                + " save_file({k: v.contiguous().clone() for k, v in sd.items()}, 'model.safetensors', metadata={'format': 'pt'})\""
        }
        return text
    }
}
