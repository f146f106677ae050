import Foundation

/// One file of a checkpoint format (``SafeTensorsFile``, ``PyTorchFile``): what
/// ``ShardedCheckpoint`` needs to open a folder of them as one set of names.
public protocol CheckpointFormatFile: WeightSource {
    /// The file name of a single-file checkpoint (`model.safetensors`).
    static var singleFileName: String { get }
    /// The file name of the index of a sharded checkpoint (`model.safetensors.index.json`).
    static var indexFileName: String { get }
    /// What to say of a folder holding neither file: what it has instead, and what to do.
    static func explainMissingCheckpoint(in folder: URL) -> String

    var url: URL { get }
    init(url: URL) throws(CheckpointError)
    /// The integer or boolean tensor `key` as `Int64`s.
    func int64s(_ key: String) throws(CheckpointError) -> [Int64]
}

/// The weights of a model folder in one format: its single file, or the shards its index lists,
/// seen as one set of names. ``SafeTensorsCheckpoint`` and ``PyTorchCheckpoint`` are this type.
///
/// ```swift
/// let weights = try SafeTensorsCheckpoint(contentsOf: try ModelLocation.resolve("bert-base-uncased"))
/// let query = try weights.floats("encoder.layer.0.attention.self.query.weight", shape: [768, 768])
/// ```
///
/// Most callers should use ``Checkpoint/open(_:)``, which prefers safetensors when a folder has
/// both formats.
public struct ShardedCheckpoint<File: CheckpointFormatFile>: WeightSource {
    /// The file name of a single-file checkpoint.
    public static var singleFileName: String { File.singleFileName }
    /// The file name of the index of a sharded checkpoint.
    public static var indexFileName: String { File.indexFileName }

    /// The opened files: one, or the shards in name order.
    public let files: [File]
    /// Every tensor name, sorted.
    public let keys: [String]
    private let fileIndex: [String: Int]
    /// The index file, for a sharded checkpoint.
    private let index: URL?

    /// Opens a checkpoint.
    ///
    /// - Parameter url: a model folder (holding the single file, which is preferred, or the index),
    ///   a checkpoint file, or an index file (a name ending in `.index.json`).
    /// - Throws: ``CheckpointError`` when neither file is there (naming what the folder has
    ///   instead), when the index is malformed or names a shard that is missing or lacks a
    ///   tensor, or when a file cannot be read safely.
    public init(contentsOf url: URL) throws(CheckpointError) {
        switch try CheckpointFiles.locate(url, singleFileName: File.singleFileName, indexFileName: File.indexFileName) {
        case .single(let file):
            let file = try File(url: file)
            files = [file]
            keys = file.keys
            fileIndex = Dictionary(uniqueKeysWithValues: file.keys.map { ($0, 0) })
            index = nil
        case .index(let index):
            let (files, fileIndex) = try ShardIndex(contentsOf: index).openShards(
                index: index, { (shard: URL) throws(CheckpointError) in try File(url: shard) }, has: { $0.info($1) != nil })
            self.files = files
            self.fileIndex = fileIndex
            self.keys = fileIndex.keys.sorted()
            self.index = index
        case nil:
            throw CheckpointError(file: url, .unsupportedCheckpoint(File.explainMissingCheckpoint(in: url)))
        }
    }

    public func info(_ key: String) -> TensorInfo? {
        fileIndex[key].flatMap { files[$0].info(key) }
    }

    /// The shard holding `key`; for a missing key, the index (or the single file).
    public func file(containing key: String) -> URL? {
        if let i = fileIndex[key] { return files[i].url }
        return index ?? files.first?.url
    }

    public func readFloats(_ key: String, into buffer: UnsafeMutableBufferPointer<Float>) throws(CheckpointError) {
        guard let i = fileIndex[key] else { throw missingTensorError(key) }
        try files[i].readFloats(key, into: buffer)
    }

    /// The integer or boolean tensor `key` as `Int64`s.
    public func int64s(_ key: String) throws(CheckpointError) -> [Int64] {
        guard let i = fileIndex[key] else { throw missingTensorError(key) }
        return try files[i].int64s(key)
    }
}

/// `model.safetensors`, or the shards of `model.safetensors.index.json`.
public typealias SafeTensorsCheckpoint = ShardedCheckpoint<SafeTensorsFile>

/// `pytorch_model.bin`, or the shards of `pytorch_model.bin.index.json`, each read as
/// ``PyTorchFile`` reads it: memory-mapped, with a restricted unpickler that refuses any global
/// but the tensor-rebuilding ones.
public typealias PyTorchCheckpoint = ShardedCheckpoint<PyTorchFile>

extension ShardedCheckpoint where File == PyTorchFile {
    /// Checks every storage's CRC-32; see ``PyTorchFile/verifyChecksums()``.
    public func verifyChecksums() throws(CheckpointError) {
        for file in files { try file.verifyChecksums() }
    }
}
