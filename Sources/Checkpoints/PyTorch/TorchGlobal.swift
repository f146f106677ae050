/// The Python globals a PyTorch state dict may name: the allowlist of ``RestrictedUnpickler``.
///
/// It mirrors the spirit of `torch.load(weights_only=True)`, narrowed to what a plain state dict
/// needs: `collections.OrderedDict`, the functions that rebuild a tensor from a storage, the
/// storage classes and the dtypes. Every other global (`os.system`, `builtins.eval`,
/// `subprocess.Popen`, any class) is refused by name, so loading a checkpoint never runs code.
enum TorchGlobal: Hashable, Sendable {
    case orderedDict
    case rebuildTensor
    case rebuildTensorV2
    case rebuildTensorV3
    case rebuildParameter
    case rebuildParameterWithState
    /// A legacy typed storage class such as `torch.FloatStorage`, or `torch.storage.UntypedStorage`,
    /// with its element type (`nil` if this package cannot read it) and size in bytes.
    case storageType(name: String, dtype: DType?, elementSize: Int, isUntyped: Bool)
    /// A dtype such as `torch.float16`, as `_rebuild_tensor_v3` receives it.
    case dtype(name: String, DType?)

    /// `module.name` as Python spells it.
    var qualifiedName: String {
        switch self {
        case .orderedDict: "collections.OrderedDict"
        case .rebuildTensor: "torch._utils._rebuild_tensor"
        case .rebuildTensorV2: "torch._utils._rebuild_tensor_v2"
        case .rebuildTensorV3: "torch._utils._rebuild_tensor_v3"
        case .rebuildParameter: "torch._utils._rebuild_parameter"
        case .rebuildParameterWithState: "torch._utils._rebuild_parameter_with_state"
        case .storageType(let name, _, _, _), .dtype(let name, _): name
        }
    }

    /// The allowed global `module.name`, or `nil` if it is not allowed.
    static func lookup(module: String, name: String) -> TorchGlobal? {
        switch (module, name) {
        case ("collections", "OrderedDict"): return .orderedDict
        case ("torch._utils", "_rebuild_tensor"): return .rebuildTensor
        case ("torch._utils", "_rebuild_tensor_v2"): return .rebuildTensorV2
        case ("torch._utils", "_rebuild_tensor_v3"): return .rebuildTensorV3
        case ("torch._utils", "_rebuild_parameter"): return .rebuildParameter
        case ("torch._utils", "_rebuild_parameter_with_state"): return .rebuildParameterWithState
        case ("torch.storage", "UntypedStorage"), ("torch", "UntypedStorage"):
            return .storageType(name: "\(module).\(name)", dtype: .uint8, elementSize: 1, isUntyped: true)
        case ("torch", _):
            if let entry = storageTypes[name] {
                return .storageType(name: "torch.\(name)", dtype: entry.dtype, elementSize: entry.size, isUntyped: false)
            }
            if let entry = dtypes[name] { return .dtype(name: "torch.\(name)", entry) }
            return nil
        default:
            return nil
        }
    }

    /// The legacy storage classes `torch.save` names, with the element type of each (`nil` for
    /// those this package cannot read: complex and quantized) and its size in bytes.
    private static let storageTypes: [String: (dtype: DType?, size: Int)] = [
        "DoubleStorage": (.float64, 8), "FloatStorage": (.float32, 4), "HalfStorage": (.float16, 2),
        "BFloat16Storage": (.bfloat16, 2), "LongStorage": (.int64, 8), "IntStorage": (.int32, 4),
        "ShortStorage": (.int16, 2), "CharStorage": (.int8, 1), "ByteStorage": (.uint8, 1), "BoolStorage": (.bool, 1),
        "ComplexDoubleStorage": (nil, 16), "ComplexFloatStorage": (nil, 8),
        "QInt8Storage": (nil, 1), "QInt32Storage": (nil, 4), "QUInt8Storage": (nil, 1), "QUInt4x2Storage": (nil, 1),
        "QUInt2x4Storage": (nil, 1),
    ]

    /// `torch.<dtype>` globals, with the element type of each; `nil` for those this package cannot read.
    private static let dtypes: [String: DType?] = [
        "float64": .float64, "double": .float64, "float32": .float32, "float": .float32,
        "float16": .float16, "half": .float16, "bfloat16": .bfloat16,
        "int64": .int64, "long": .int64, "int32": .int32, "int": .int32, "int16": .int16, "short": .int16,
        "int8": .int8, "uint8": .uint8, "bool": .bool, "uint16": .uint16, "uint32": .uint32, "uint64": .uint64,
        "float8_e5m2": .float8E5M2, "float8_e4m3fn": .float8E4M3,
        "complex32": nil, "complex64": nil, "complex128": nil, "cfloat": nil, "cdouble": nil,
        "qint8": nil, "quint8": nil, "qint32": nil, "quint4x2": nil, "quint2x4": nil,
        "float8_e5m2fnuz": nil, "float8_e4m3fnuz": nil, "float8_e8m0fnu": nil, "float4_e2m1fn_x2": nil,
    ]

    /// What the refusal message lists as allowed.
    static let allowedSummary = "collections.OrderedDict, torch._utils._rebuild_tensor, _rebuild_tensor_v2, _rebuild_tensor_v3, "
        + "_rebuild_parameter, _rebuild_parameter_with_state, torch.*Storage, torch.storage.UntypedStorage and torch dtypes"

    /// The Python 3 name of a global a protocol-2 pickle spells the Python 2 way, as
    /// `pickle.Unpickler(fix_imports=True)` reads it (`__builtin__.eval` is `builtins.eval`).
    static func python3Module(_ module: String) -> String {
        switch module {
        case "__builtin__": "builtins"
        case "copy_reg": "copyreg"
        case "exceptions": "builtins"
        case "cPickle": "pickle"
        case "commands": "subprocess"
        default: module
        }
    }
}
