import Foundation

/// Named tensors that can be read as `Float`: a safetensors file, a sharded checkpoint folder, or
/// tensors held in memory.
///
/// Models build their parameters by name (`encoder.layer.3.attention.self.query.weight`) and ask a
/// source for each; a missing name or a shape that differs is a ``CheckpointError`` naming the key.
public protocol WeightSource: Sendable {
    /// Every tensor name, sorted.
    var keys: [String] { get }

    /// What the header says about `key`, or `nil` if there is no such tensor.
    func info(_ key: String) -> TensorInfo?

    /// The file that holds `key` (for messages), or `nil` for tensors that are not in a file.
    func file(containing key: String) -> URL?

    /// Converts the tensor `key` to `Float` into `buffer`, which must have exactly
    /// ``TensorInfo/elementCount`` elements.
    ///
    /// - Throws: ``CheckpointError`` when the key is missing, the dtype is not a floating-point
    ///   type (see ``DType/isReadableAsFloat``), or `buffer` has another size.
    func readFloats(_ key: String, into buffer: UnsafeMutableBufferPointer<Float>) throws(CheckpointError)
}

extension WeightSource {
    /// `true` if a tensor is named `key`.
    public func contains(_ key: String) -> Bool { info(key) != nil }

    /// The names of the tensors readable as `Float`, sorted; integer buffers such as
    /// `embeddings.position_ids` are left out.
    public var floatKeys: [String] { keys.filter { info($0)?.dtype.isReadableAsFloat == true } }

    /// What the header says about `key`.
    /// - Throws: ``CheckpointError/Reason/missingTensor(similar:)`` naming the key and similar names.
    public func tensorInfo(_ key: String) throws(CheckpointError) -> TensorInfo {
        guard let info = info(key) else { throw missingTensorError(key) }
        return info
    }

    /// The tensor `key` converted to `Float`, in row-major order.
    public func floats(_ key: String) throws(CheckpointError) -> [Float] {
        let info = try tensorInfo(key)
        guard info.dtype.isReadableAsFloat else {
            throw CheckpointError(file: file(containing: key), key: key, .notFloatingPoint(info.dtype))
        }
        var values = [Float](repeating: 0, count: info.elementCount)
        var failure: CheckpointError?
        values.withUnsafeMutableBufferPointer { buffer in
            do throws(CheckpointError) {
                try readFloats(key, into: buffer)
            } catch {
                failure = error
            }
        }
        if let failure { throw failure }
        return values
    }

    /// The tensor `key` converted to `Float`, after checking that its shape is `shape`.
    /// - Throws: ``CheckpointError/Reason/shapeMismatch(expected:found:)`` naming the key when it differs.
    public func floats(_ key: String, shape: [Int]) throws(CheckpointError) -> [Float] {
        let info = try tensorInfo(key)
        guard info.shape == shape else {
            throw CheckpointError(file: file(containing: key), key: key, .shapeMismatch(expected: shape, found: info.shape))
        }
        return try floats(key)
    }

    /// The error for a missing `key`, listing names that differ only by a prefix or a last component
    /// (`bert.embeddings…` for `embeddings…`, `LayerNorm.gamma` for `LayerNorm.weight`).
    public func missingTensorError(_ key: String) -> CheckpointError {
        CheckpointError(file: file(containing: key), key: key, .missingTensor(similar: similarKeys(to: key, in: keys)))
    }
}

/// Up to five names from `keys` that look like `key` with a different prefix or last component.
func similarKeys(to key: String, in keys: [String]) -> [String] {
    let parts = key.split(separator: ".", omittingEmptySubsequences: false)
    var scored: [(score: Int, name: String)] = []
    for candidate in keys {
        let other = candidate.split(separator: ".", omittingEmptySubsequences: false)
        // Common trailing components: a prefix was added or removed.
        var trailing = 0
        while trailing < min(parts.count, other.count),
              parts[parts.count - 1 - trailing] == other[other.count - 1 - trailing] {
            trailing += 1
        }
        if trailing == min(parts.count, other.count), trailing >= 1 {
            scored.append((1000 + trailing, candidate))
        } else if parts.count == other.count, parts.count >= 2, parts.dropLast() == other.dropLast() {
            scored.append((500, candidate))  // same module, other parameter name
        }
    }
    return scored.sorted { ($0.score, $1.name) > ($1.score, $0.name) }.prefix(5).map(\.name)
}
