/// A value built by ``RestrictedUnpickler``: plain data, never code.
///
/// Lists, tuples and dicts live in an arena (``PickleObject``) and are referred to by index, as
/// Python refers to objects: `SETITEMS` on a dict that is also in the memo changes both, and a
/// deeply nested pickle cannot make a deeply recursive Swift value.
enum PickleValue: Hashable, Sendable {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    /// An allowed global, not called yet.
    case global(TorchGlobal)
    /// A list, tuple or dict: an index into the unpickler's objects.
    case object(Int)
    /// A tensor storage named by a persistent id.
    case storage(TorchStorage)
    /// The result of a tensor-rebuilding function.
    case tensor(TorchTensor)

    /// The kind of value, for messages ("a string", "a tuple").
    func kind(in objects: [PickleObject]) -> String {
        switch self {
        case .none: "None"
        case .bool: "a bool"
        case .int: "an int"
        case .float: "a float"
        case .string: "a string"
        case .bytes: "bytes"
        case .global(let global): "the global \(global.qualifiedName)"
        case .object(let i):
            switch objects[i] {
            case .list: "a list"
            case .tuple: "a tuple"
            case .dict: "a dict"
            }
        case .storage: "a storage"
        case .tensor: "a tensor"
        }
    }
}

/// A list, tuple or dict built by the unpickler.
enum PickleObject: Sendable {
    case list([PickleValue])
    case tuple([PickleValue])
    case dict(PickleDict)
}

/// A dict that keeps insertion order, as Python's does.
struct PickleDict: Sendable {
    private(set) var keys: [PickleValue] = []
    private(set) var values: [PickleValue] = []
    private var index: [PickleValue: Int] = [:]

    /// Sets `key` to `value`, keeping the original position of an existing key. (Lists, tuples and
    /// dicts as keys compare by identity, not by contents as in Python; state dicts key by string.)
    mutating func set(_ key: PickleValue, _ value: PickleValue) {
        if let i = index[key] {
            values[i] = value
        } else {
            index[key] = keys.count
            keys.append(key)
            values.append(value)
        }
    }

    subscript(key: PickleValue) -> PickleValue? {
        index[key].map { values[$0] }
    }

    var count: Int { keys.count }
}

/// A storage named by a persistent id `('storage', storage_type, key, location, numel)`: the
/// bytes are the archive entry `data/<key>`.
struct TorchStorage: Hashable, Sendable {
    /// The storage class, such as `torch.FloatStorage` or `torch.storage.UntypedStorage`.
    var typeName: String
    /// The element type of a typed storage; `.uint8` for an untyped one; `nil` for types this
    /// package cannot read (complex, quantized).
    var dtype: DType?
    /// Bytes per element (1 for an untyped storage).
    var elementSize: Int
    var isUntyped: Bool
    /// The archive entry's name under `data/`, or the legacy format's storage key.
    var key: String
    /// Elements of `dtype` (bytes, for an untyped storage).
    var elementCount: Int
}

/// A tensor as `torch._utils._rebuild_tensor_v2` / `_v3` would build it: a strided view of a storage.
struct TorchTensor: Hashable, Sendable {
    var storage: TorchStorage
    /// The element type's name (`torch.FloatStorage`, `torch.uint16`), for messages.
    var dtypeName: String
    /// `nil` when the element type cannot be read by this package.
    var dtype: DType?
    /// Offset of the first element, in elements of `dtype`.
    var storageOffset: Int
    var shape: [Int]
    var strides: [Int]
}
