import Checkpoints
import Layers
import Tensor

/// What loading a checkpoint into a model found, besides the weights it loaded.
public struct LoadReport: Sendable, Equatable {
    /// Checkpoint keys the model has no parameter for (heads of other tasks, dropped layers).
    public var unexpectedKeys: [String]
    /// The prefix the checkpoint's keys carried (`"bert."` for a `BertFor…` checkpoint), or "".
    public var prefix: String
}

extension ParameterStore {
    /// Fills the parameters named `under…` from `source`, by name.
    ///
    /// A parameter `under` + `rest` is read from the key `prefix` + `rest`, for the first of
    /// `keyPrefixes` under which the checkpoint has the first such parameter: a bare encoder
    /// checkpoint has `embeddings.…`, a `BertForSequenceClassification` one `bert.embeddings.…`.
    /// Integer buffers such as `embeddings.position_ids` are skipped. A missing parameter or a
    /// shape mismatch throws a ``CheckpointError`` naming the key.
    @discardableResult
    public func load(from source: any WeightSource, under: String = "", keyPrefixes: [String] = [""]) throws(CheckpointError) -> LoadReport {
        let wanted = parameters(under: under)
        func relative(_ p: Parameter) -> String { String(p.name.dropFirst(under.count)) }
        let prefix = wanted.first.flatMap { first in keyPrefixes.first { source.contains($0 + relative(first)) } }
            ?? keyPrefixes.first ?? ""
        var used = Set<String>()
        for parameter in wanted {
            let key = prefix + relative(parameter)
            guard let info = source.info(key) else { throw source.missingTensorError(key) }
            let expected = unallocated[parameter.name] ?? parameter.shape
            guard info.shape == expected, unallocated[parameter.name] == nil else {
                throw CheckpointError(file: source.file(containing: key), key: key,
                                      .shapeMismatch(expected: expected, found: info.shape))
            }
            var failure: CheckpointError?
            parameter.value.withUnsafeMutableBufferPointer { buffer in
                do throws(CheckpointError) { try source.readFloats(key, into: buffer) } catch { failure = error }
            }
            if let failure { throw failure }
            markLoaded(parameter.name)
            used.insert(key)
        }
        let unexpected = source.floatKeys.filter { !used.contains($0) }
        return LoadReport(unexpectedKeys: unexpected, prefix: prefix)
    }
}

extension ParameterStore {
    /// Before a model is built for loading from `source`: parameters named `under…` are allocated
    /// only when the checkpoint holds them with the same shape (under one of `keyPrefixes`); the
    /// rest are created empty and ``load(from:under:keyPrefixes:)`` reports them, naming the key.
    /// So a config's sizes never allocate memory the checkpoint does not confirm.
    public func allocateOnlyWhatMatches(_ source: any WeightSource, under: String = "", keyPrefixes: [String] = [""]) {
        allocationCheck = { name, shape in
            guard name.hasPrefix(under) else { return true }
            let relative = name.dropFirst(under.count)
            return keyPrefixes.contains { source.info($0 + relative)?.shape == shape }
        }
    }
}

extension WeightSource {
    /// Whether the checkpoint has `key` under any of `keyPrefixes` (a bare encoder's `pooler.…`
    /// or a task checkpoint's `bert.pooler.…`).
    func contains(_ key: String, underAnyOf keyPrefixes: [String]) -> Bool {
        keyPrefixes.contains { contains($0 + key) }
    }
}
