import Foundation

/// F32 tensors held in memory, by name: a ``WeightSource`` for tests and for building a model from
/// values computed in the program.
public struct InMemoryWeights: WeightSource {
    private var tensors: [String: (shape: [Int], values: [Float])] = [:]

    /// An empty source.
    public init() {}

    /// Adds or replaces a tensor. Traps if `values.count` is not the product of `shape`.
    public mutating func set(_ name: String, shape: [Int], values: [Float]) {
        precondition(values.count == shape.reduce(1, *),
                     "tensor \"\(name)\": shape \(shape) needs \(shape.reduce(1, *)) values, got \(values.count)")
        tensors[name] = (shape, values)
    }

    public var keys: [String] { tensors.keys.sorted() }

    public func info(_ key: String) -> TensorInfo? {
        guard let (shape, values) = tensors[key] else { return nil }
        return TensorInfo(name: key, dtype: .float32, shape: shape, dataOffsets: 0..<(4 * values.count))
    }

    public func file(containing key: String) -> URL? { nil }

    public func readFloats(_ key: String, into buffer: UnsafeMutableBufferPointer<Float>) throws(CheckpointError) {
        guard let (shape, values) = tensors[key] else { throw missingTensorError(key) }
        guard buffer.count == values.count else {
            throw CheckpointError(file: nil, key: key, .invalidValue(
                "a buffer of \(buffer.count) floats cannot hold a tensor of shape \(shape) (\(values.count) elements)"))
        }
        for i in values.indices { buffer[i] = values[i] }
    }
}
