import Foundation

/// The index of a sharded checkpoint (`pytorch_model.bin.index.json`, written by transformers'
/// `save_pretrained`): `{"metadata": {...}, "weight_map": {tensor name: shard file name}}`.
struct ShardIndex {
    /// The shard file of each tensor; each is a plain file name in the index's folder.
    var shardOfKey: [String: String]

    init(contentsOf url: URL) throws(CheckpointError) {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            if !FileManager.default.fileExists(atPath: url.path) { throw CheckpointError(file: url, .fileNotFound) }
            throw CheckpointError(file: url, .io("cannot read: \(error.localizedDescription)"))
        }
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
}
