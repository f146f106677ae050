import Foundation

/// Which file of a checkpoint format to open at a path: the path itself (a single file, or an index
/// when its name ends in `.index.json`), or, in a folder, the format's single file (preferred) or
/// its shard index. Shared by the safetensors and PyTorch readers.
enum CheckpointFiles {
    case single(URL)
    case index(URL)

    /// - Returns: nil for a folder holding neither `singleFileName` nor `indexFileName`.
    /// - Throws: ``CheckpointError`` when nothing is at `url`.
    static func locate(_ url: URL, singleFileName: String, indexFileName: String) throws(CheckpointError) -> CheckpointFiles? {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder) else {
            throw CheckpointError(file: url, .fileNotFound)
        }
        if !isFolder.boolValue {
            return url.lastPathComponent.hasSuffix(".index.json") ? .index(url) : .single(url)
        }
        let single = url.appending(path: singleFileName), index = url.appending(path: indexFileName)
        if FileManager.default.fileExists(atPath: single.path) { return .single(single) }
        if FileManager.default.fileExists(atPath: index.path) { return .index(index) }
        return nil
    }
}
