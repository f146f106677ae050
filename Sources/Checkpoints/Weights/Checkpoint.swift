import Foundation

/// Opens the weights of a model folder in whichever format it has.
///
/// ```swift
/// let weights = try Checkpoint.open(try ModelLocation.resolve("bert-base-uncased"))
/// try model.store.load(from: weights)
/// ```
public enum Checkpoint {
    /// The files looked for in a folder, in order of preference: safetensors first (it cannot hold
    /// code and maps without unpickling), then PyTorch's pickle-based checkpoint.
    public static let preferredFileNames = [
        SafeTensorsCheckpoint.singleFileName, SafeTensorsCheckpoint.indexFileName,
        PyTorchCheckpoint.singleFileName, PyTorchCheckpoint.indexFileName,
    ]

    /// The weights at `url`.
    ///
    /// - Parameter url: a model folder, opened from the first of ``preferredFileNames`` it holds
    ///   (`model.safetensors`, `model.safetensors.index.json`, `pytorch_model.bin`,
    ///   `pytorch_model.bin.index.json`); or a single file: a `.safetensors` file, a PyTorch
    ///   checkpoint (`.bin`, `.pt`, `.pth`, or any zip archive), or a shard index.
    /// - Returns: a ``SafeTensorsCheckpoint`` or a ``PyTorchCheckpoint``.
    /// - Throws: ``CheckpointError`` when nothing readable is there (naming what is), or when the
    ///   chosen file is invalid or unsafe (a PyTorch pickle naming a global that does not rebuild
    ///   tensors is refused, never run).
    public static func open(_ url: URL) throws(CheckpointError) -> any WeightSource {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else {
            throw CheckpointError(file: url, .fileNotFound)
        }
        if isFolder.boolValue {
            for name in preferredFileNames where FileManager.default.fileExists(atPath: url.appending(path: name).path) {
                return try open(url.appending(path: name))
            }
            throw CheckpointError(file: url, .unsupportedCheckpoint(explainMissingCheckpoint(in: url)))
        }
        let name = url.lastPathComponent
        if name.hasSuffix(".safetensors") || name.hasSuffix(".safetensors.index.json") {
            return try SafeTensorsCheckpoint(contentsOf: url)
        }
        if name.hasSuffix(".index.json") || name.hasSuffix(".bin") || name.hasSuffix(".pt") || name.hasSuffix(".pth") {
            return try PyTorchCheckpoint(contentsOf: url)
        }
        return isZipArchive(url) ? try PyTorchCheckpoint(contentsOf: url) : try SafeTensorsCheckpoint(contentsOf: url)
    }

    /// `true` if the file starts like a zip archive (a local header's signature).
    private static func isZipArchive(_ url: URL) -> Bool {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return false }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: 4)) == Data([0x50, 0x4B, 0x03, 0x04])
    }

    /// Says what a folder without weights this package reads holds instead.
    private static func explainMissingCheckpoint(in folder: URL) -> String {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        var text = "no \(preferredFileNames.joined(separator: ", ")) in this folder"
        let candidates = names.filter {
            $0.hasSuffix(".safetensors") || $0.hasSuffix(".bin") || $0.hasSuffix(".pt") || $0.hasSuffix(".pth")
        }.sorted()
        let others = names.filter { $0 == "tf_model.h5" || $0 == "flax_model.msgpack" || $0.hasSuffix(".onnx") }.sorted()
        if !candidates.isEmpty {
            text += "; it has \(candidates.joined(separator: ", ")): open a file directly with Checkpoint.open(_:)"
        }
        if !others.isEmpty {
            text += "; it has \(others.joined(separator: ", ")), which this package cannot read"
        }
        return text
    }
}
