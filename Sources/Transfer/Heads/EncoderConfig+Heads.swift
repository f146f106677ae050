import Checkpoints
import Foundation
import Models

/// How a task head's `config.json` names the head, and how a saved one is read back.
extension EncoderConfig {
    /// Writes `config.json` naming the head class, its labels and problem type.
    ///
    /// - Parameter run: the save's run id, kept as `bertkit_run` so a loader can tell this file
    ///   from another run's (transformers ignores the field).
    func write(to url: URL, architecture: String, labels: [String], problemType: String?, run: String? = nil) throws {
        let run: JSONValue? = run.map { .string($0) }
        try labeled(architecture: architecture, labels: labels, problemType: problemType,
                    otherFields: [TransferModel.runKey: run]).write(to: url)
    }

    /// The labels of a transformers task folder (`id2label`), in id order.
    func savedLabels(file: URL) throws -> (labels: [String], architecture: String, problemType: String?) {
        let json = try JSONConfig(contentsOf: file)
        guard case .object(let map)? = json["id2label"] else {
            throw TransferError.invalidModelFolder(file, "no id2label, and no \(TransferModel.settingsFileName) beside it")
        }
        let labels = try map.keys.compactMap(Int.init).sorted().map { id -> String in
            guard case .string(let name)? = map[String(id)] else { throw TransferError.invalidModelFolder(file, "id2label[\(id)] is not a string") }
            return name
        }
        return (labels, (try json.stringsIfPresent("architectures"))?.first ?? "", try json.stringIfPresent("problem_type"))
    }
}
