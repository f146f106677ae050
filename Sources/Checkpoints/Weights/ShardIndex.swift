import Foundation

/// The index of a sharded checkpoint (`model.safetensors.index.json` or `pytorch_model.bin.index.json`,
/// written by transformers' `save_pretrained`): `{"metadata": {...}, "weight_map": {tensor name: shard
/// file name}}`.
struct ShardIndex {
    /// The shard file of each tensor; each is a plain file name in the index's folder.
    var shardOfKey: [String: String]

    init(contentsOf url: URL) throws(CheckpointError) {
        let data: Data
        do { data = try FileContents.read(url) } catch { throw CheckpointError(file: url, error) }
        let root: JSONValue
        do { root = try JSONValue.parse(data) } catch {
            throw CheckpointError(file: url, .invalidJSON(line: error.line, column: error.column, error.message))
        }
        guard let weightMapValue = root.objectValue?["weight_map"] else {
            throw CheckpointError(file: url, key: "weight_map", .missingField)
        }
        guard let weightMap = weightMapValue.objectValue else {
            throw CheckpointError(file: url, key: "weight_map", .wrongType(
                expected: "an object mapping tensor names to shard file names", found: weightMapValue.excerpt))
        }
        var shardOfKey: [String: String] = [:]
        for (key, value) in weightMap {
            guard let shard = value.stringValue else {
                throw CheckpointError(file: url, key: "weight_map.\(key)", .wrongType(expected: "a shard file name", found: value.excerpt))
            }
            // Shards sit beside the index; a path would let the index point outside the folder.
            guard !shard.isEmpty, !shard.contains("/"), !shard.contains("\\"), shard != ".", shard != ".." else {
                throw CheckpointError(file: url, key: "weight_map.\(key)", .invalidValue(
                    "shard \"\(shard)\" must be a file name in the same folder as the index"))
            }
            shardOfKey[key] = shard
        }
        self.shardOfKey = shardOfKey
    }

    /// Opens every listed shard once, in name order, and maps each key to its shard's position
    /// in `files`.
    ///
    /// - Throws: ``CheckpointError`` naming the index when a listed shard is missing, or when the
    ///   index places a key in a shard that has no tensor of that name (`has` says whether it does).
    func openShards<File>(
        index url: URL, _ open: (URL) throws(CheckpointError) -> File, has: (File, String) -> Bool
    ) throws(CheckpointError) -> (files: [File], fileIndex: [String: Int]) {
        let folder = url.deletingLastPathComponent()
        var files: [File] = []
        var indexOfShard: [String: Int] = [:]
        for shard in Set(shardOfKey.values).sorted() {
            let shardURL = folder.appending(path: shard)
            guard FileManager.default.fileExists(atPath: shardURL.path) else {
                throw CheckpointError(file: url, key: "weight_map", .invalidValue(
                    "shard \"\(shard)\" is listed but missing from \(folder.path)"))
            }
            indexOfShard[shard] = files.count
            files.append(try open(shardURL))
        }
        var fileIndex: [String: Int] = [:]
        for (key, shard) in shardOfKey {
            let i = indexOfShard[shard]!
            guard has(files[i], key) else {
                throw CheckpointError(file: url, key: key, .invalidValue(
                    "the index places this tensor in \"\(shard)\", which has no tensor with this name"))
            }
            fileIndex[key] = i
        }
        return (files, fileIndex)
    }
}
