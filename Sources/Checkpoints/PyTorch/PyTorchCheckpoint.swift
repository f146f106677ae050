import Foundation

/// The PyTorch weights of a model folder: one `pytorch_model.bin`, or the shards listed by
/// `pytorch_model.bin.index.json`, seen as one set of names.
///
/// Each file is read as ``PyTorchFile`` reads it: memory-mapped, with a restricted unpickler that
/// refuses any global but the tensor-rebuilding ones. Most callers should use
/// ``Checkpoint/open(_:)``, which prefers safetensors when a folder has both formats.
public struct PyTorchCheckpoint: WeightSource {
    /// The file name of a single-file checkpoint.
    public static let singleFileName = "pytorch_model.bin"
    /// The file name of the index of a sharded checkpoint.
    public static let indexFileName = "pytorch_model.bin.index.json"

    /// The opened files: one, or the shards in name order.
    public let files: [PyTorchFile]
    /// Every tensor name, sorted.
    public let keys: [String]
    private let fileIndex: [String: Int]
    /// The index file, for a sharded checkpoint.
    private let index: URL?

    /// Opens a checkpoint.
    ///
    /// - Parameter url: a model folder (holding `pytorch_model.bin`, which is preferred, or
    ///   `pytorch_model.bin.index.json`), a checkpoint file, or an index file (a name ending in
    ///   `.index.json`).
    /// - Throws: ``CheckpointError`` when neither file is there, when the index is malformed or
    ///   names a shard that is missing or lacks a tensor, or when a file cannot be read safely
    ///   (see ``PyTorchFile/init(url:)``).
    public init(contentsOf url: URL) throws(CheckpointError) {
        switch try CheckpointFiles.locate(url, singleFileName: Self.singleFileName, indexFileName: Self.indexFileName) {
        case .single(let file): self.init(single: try PyTorchFile(url: file))
        case .index(let index): try self.init(index: index)
        case nil: throw CheckpointError(file: url, .unsupportedCheckpoint("no \(Self.singleFileName) or \(Self.indexFileName) in this folder"))
        }
    }

    private init(single file: PyTorchFile) {
        files = [file]
        keys = file.keys
        fileIndex = Dictionary(uniqueKeysWithValues: file.keys.map { ($0, 0) })
        index = nil
    }

    private init(index url: URL) throws(CheckpointError) {
        let (files, fileIndex) = try ShardIndex(contentsOf: url).openShards(
            index: url, { (shard: URL) throws(CheckpointError) in try PyTorchFile(url: shard) }, has: { $0.info($1) != nil })
        self.files = files
        self.fileIndex = fileIndex
        self.keys = fileIndex.keys.sorted()
        self.index = url
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

    /// The integer or boolean tensor `key` as `Int64`s; see ``PyTorchFile/int64s(_:)``.
    public func int64s(_ key: String) throws(CheckpointError) -> [Int64] {
        guard let i = fileIndex[key] else { throw missingTensorError(key) }
        return try files[i].int64s(key)
    }

    /// Checks every storage's CRC-32; see ``PyTorchFile/verifyChecksums()``.
    public func verifyChecksums() throws(CheckpointError) {
        for file in files { try file.verifyChecksums() }
    }
}
