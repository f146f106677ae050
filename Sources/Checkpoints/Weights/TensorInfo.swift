import Foundation

/// What a checkpoint's header says about one tensor: its name, element type, shape and where its
/// bytes are.
public struct TensorInfo: Sendable, Equatable {
    /// The tensor's name, such as `encoder.layer.0.attention.self.query.weight`.
    public var name: String
    /// The element type.
    public var dtype: DType
    /// The dimensions, outermost first; `[]` for a scalar.
    public var shape: [Int]
    /// The byte range inside the file's data section (after the header).
    public var dataOffsets: Range<Int>

    public init(name: String, dtype: DType, shape: [Int], dataOffsets: Range<Int>) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.dataOffsets = dataOffsets
    }

    /// The number of elements: the product of the shape (1 for a scalar).
    public var elementCount: Int { shape.reduce(1, *) }
}

extension TensorInfo {
    /// Fails unless the tensor `key` of `file` is floating-point and has exactly `count` elements,
    /// the size of the buffer it is about to be read into.
    func checkReadable(into count: Int, key: String, file: URL) throws(CheckpointError) {
        guard dtype.isReadableAsFloat else {
            throw CheckpointError(file: file, key: key, .notFloatingPoint(dtype))
        }
        guard count == elementCount else {
            throw CheckpointError(file: file, key: key, .invalidValue(
                "a buffer of \(count) floats cannot hold a tensor of shape \(shape) (\(elementCount) elements)"))
        }
    }
}
