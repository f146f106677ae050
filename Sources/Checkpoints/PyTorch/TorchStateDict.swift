import Foundation

/// The tensors of an unpickled `torch.save` object: a state dict `{name: tensor}`, as
/// `save_pretrained` and `torch.save(model.state_dict())` write it.
///
/// A dict whose only tensors are under `"state_dict"` or `"model"` (training checkpoints such as
/// PyTorch Lightning's) is unwrapped. Values that are not tensors (an `_extra_state`, a step
/// counter) are skipped: they are not weights.
struct TorchStateDict {
    /// Tensors in the pickle's order.
    var tensors: [(name: String, tensor: TorchTensor)] = []

    init(root: PickleValue, objects: [PickleObject], file: URL, entryName: String) throws(CheckpointError) {
        func asDict(_ value: PickleValue) -> PickleDict? {
            guard case .object(let i) = value, case .dict(let dict) = objects[i] else { return nil }
            return dict
        }
        func describeKey(_ key: PickleValue) -> String {
            if case .string(let text) = key { return "\"\(text)\"" }
            return key.kind(in: objects)
        }
        guard var dict = asDict(root) else {
            throw CheckpointError(file: file, .unsupportedCheckpoint(
                "\(entryName) holds \(root.kind(in: objects)), not a state dict of tensors"))
        }
        let hasTensors = dict.values.contains { if case .tensor = $0 { true } else { false } }
        if !hasTensors {
            for wrapper in ["state_dict", "model"] {
                if let inner = dict[.string(wrapper)].flatMap(asDict) {
                    dict = inner
                    break
                }
            }
        }
        for (key, value) in zip(dict.keys, dict.values) {
            guard case .tensor(let tensor) = value else { continue }
            guard case .string(let name) = key else {
                throw CheckpointError(file: file, .unsupportedCheckpoint(
                    "\(entryName) has a tensor under \(key.kind(in: objects)); state dict keys must be strings"))
            }
            tensors.append((name, tensor))
        }
        guard !tensors.isEmpty else {
            throw CheckpointError(file: file, .unsupportedCheckpoint(
                "\(entryName) holds a dict of \(dict.count) entries but no tensors"
                    + (dict.count > 0 ? " (keys such as \(dict.keys.prefix(3).map(describeKey).joined(separator: ", ")))" : "")))
        }
    }
}
