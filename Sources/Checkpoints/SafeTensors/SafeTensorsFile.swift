import Foundation

/// One `.safetensors` file, memory-mapped and read on demand.
///
/// Opening reads and validates the whole header: every entry's dtype, shape and byte range is
/// checked against the file's size, so a later read cannot go out of bounds. Reading a tensor
/// converts its bytes (F32, F16, BF16 or F64, little-endian) to `Float`.
///
/// ```swift
/// let file = try SafeTensorsFile(url: folder.appending(path: "model.safetensors"))
/// for key in file.floatKeys { print(key, file.info(key)!.shape) }
/// let embeddings = try file.floats("embeddings.word_embeddings.weight", shape: [30522, 384])
/// ```
///
/// A value type sharing one read-only mapping; it is unmapped when the last copy goes away.
public struct SafeTensorsFile: WeightSource {
    /// The file.
    public let url: URL
    /// The header's `__metadata__` (transformers writes `["format": "pt"]`), empty when absent.
    public let metadata: [String: String]
    /// Every tensor name, sorted.
    public let keys: [String]

    private let tensors: [String: TensorInfo]
    private let mapping: MappedFile
    /// Byte offset of the data section in the file.
    private let dataStart: Int

    /// Maps `url` and validates its header.
    ///
    /// - Throws: ``CheckpointError`` naming the file (and the tensor, for a bad entry) when the file
    ///   is missing, truncated, its header is not valid JSON or not shaped like a safetensors
    ///   header, a dtype is unknown, a shape is invalid, or byte ranges are out of bounds, of the
    ///   wrong size or overlapping.
    public init(url: URL) throws(CheckpointError) {
        let mapping = try MappedFile(url: url)
        let size = mapping.bytes.count
        guard size >= 8 else {
            throw CheckpointError(file: url, .truncated("the file has \(size) bytes, fewer than the 8-byte header length"))
        }
        // Safe: size >= 8 was checked; loadUnaligned copes with any alignment.
        let headerLength = UInt64(littleEndian: mapping.bytes.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
        guard headerLength <= UInt64(size - 8) else {
            throw CheckpointError(file: url, .truncated(
                "the header length says \(headerLength) bytes but only \(size - 8) follow (is this a safetensors file?)"))
        }
        guard headerLength <= UInt64(SafeTensorsHeader.maxLength) else {
            throw CheckpointError(file: url, .invalidHeader(
                "header of \(headerLength) bytes is larger than the limit of \(SafeTensorsHeader.maxLength)"))
        }
        let dataStart = 8 + Int(headerLength)
        // Safe: 8..<dataStart lies inside the mapping (checked above); the bytes are copied out.
        let headerBytes = [UInt8](mapping.bytes[8..<dataStart])
        let header = try SafeTensorsHeader(json: headerBytes, dataSize: size - dataStart, file: url)

        self.url = url
        self.mapping = mapping
        self.dataStart = dataStart
        self.tensors = header.tensors
        self.metadata = header.metadata
        self.keys = header.tensors.keys.sorted()
    }

    public func info(_ key: String) -> TensorInfo? { tensors[key] }

    public func file(containing key: String) -> URL? { url }

    public func readFloats(_ key: String, into buffer: UnsafeMutableBufferPointer<Float>) throws(CheckpointError) {
        let info = try tensorInfo(key)
        try info.checkReadable(into: buffer.count, key: key, file: url)
        guard info.elementCount > 0, let destination = buffer.baseAddress else { return }
        let source = bytes(of: info)
        switch info.dtype {
        case .float32:
            #if _endian(little)
            // Safe: `source` has exactly count × 4 bytes (checked when the header was read) and the
            // destination holds count floats; a byte copy needs no alignment.
            UnsafeMutableRawPointer(destination).copyMemory(from: source.baseAddress!, byteCount: source.count)
            #else
            for i in 0..<buffer.count {
                buffer[i] = Float(bitPattern: UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
            }
            #endif
        case .float16:
            for i in 0..<buffer.count {
                buffer[i] = floatFromFloat16Bits(UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
            }
        case .bfloat16:
            for i in 0..<buffer.count {
                buffer[i] = floatFromBFloat16Bits(UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
            }
        case .float64:
            for i in 0..<buffer.count {
                buffer[i] = Float(Double(bitPattern: UInt64(littleEndian: source.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
            }
        default:
            preconditionFailure("isReadableAsFloat covers exactly the cases above")
        }
    }

    /// The integer or boolean tensor `key` (such as `embeddings.position_ids`) as `Int64`s.
    ///
    /// - Throws: ``CheckpointError`` when the key is missing, the dtype is not an integer or boolean
    ///   type, or a `U64` value does not fit in `Int64`.
    public func int64s(_ key: String) throws(CheckpointError) -> [Int64] {
        let info = try tensorInfo(key)
        guard info.dtype.isInteger else {
            throw CheckpointError(file: url, key: key, .invalidValue(
                "tensor has dtype \(info.dtype.rawValue), expected an integer or boolean dtype"))
        }
        let source = bytes(of: info)
        let count = info.elementCount
        // Safe throughout: `source` has exactly count × dtype.byteCount bytes (checked when the
        // header was read), and loadUnaligned needs no alignment.
        switch info.dtype {
        case .bool, .uint8: return (0..<count).map { Int64(source[$0]) }
        case .int8: return (0..<count).map { Int64(Int8(bitPattern: source[$0])) }
        case .int16: return (0..<count).map { Int64(Int16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * $0, as: Int16.self))) }
        case .uint16: return (0..<count).map { Int64(UInt16(littleEndian: source.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) }
        case .int32: return (0..<count).map { Int64(Int32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self))) }
        case .uint32: return (0..<count).map { Int64(UInt32(littleEndian: source.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
        case .int64: return (0..<count).map { Int64(littleEndian: source.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self)) }
        case .uint64:
            var values: [Int64] = []
            values.reserveCapacity(count)
            for i in 0..<count {
                let value = UInt64(littleEndian: source.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))
                guard let exact = Int64(exactly: value) else {
                    throw CheckpointError(file: url, key: key, .invalidValue("U64 value \(value) at index \(i) does not fit in Int64"))
                }
                values.append(exact)
            }
            return values
        default:
            preconditionFailure("isInteger covers exactly the cases above")
        }
    }

    /// The bytes of a tensor whose range was validated against the file size when the header was read.
    private func bytes(of info: TensorInfo) -> UnsafeRawBufferPointer {
        // Safe: dataStart + dataOffsets.upperBound <= file size, checked by SafeTensorsHeader; the
        // mapping lives as long as `self`, and callers use the result only within their call.
        UnsafeRawBufferPointer(rebasing: mapping.bytes[(dataStart + info.dataOffsets.lowerBound)..<(dataStart + info.dataOffsets.upperBound)])
    }
}

extension SafeTensorsFile: CheckpointFormatFile {
    public static let singleFileName = "model.safetensors"
    public static let indexFileName = "model.safetensors.index.json"

    /// Says what a folder without safetensors weights holds instead, and what to do.
    public static func explainMissingCheckpoint(in folder: URL) -> String {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        var text = "no \(singleFileName) or \(indexFileName) in this folder"
        let otherSafetensors = names.filter { $0.hasSuffix(".safetensors") }.sorted()
        let pytorch = names.filter { $0 == "pytorch_model.bin" || $0 == "pytorch_model.bin.index.json" || $0.hasSuffix(".pt") || $0.hasSuffix(".pth") }.sorted()
        let others = names.filter { $0 == "tf_model.h5" || $0 == "flax_model.msgpack" || $0.hasSuffix(".onnx") }.sorted()
        if !otherSafetensors.isEmpty {
            text += "; it has \(otherSafetensors.joined(separator: ", ")): open a file directly with SafeTensorsFile(url:)"
        }
        if !pytorch.isEmpty || !others.isEmpty {
            text += "; it has \((pytorch + others).joined(separator: ", ")), which SafeTensorsCheckpoint cannot read"
                + (pytorch.isEmpty ? "." : " (Checkpoint.open(_:) reads PyTorch checkpoints without running their code).")
                + " Convert it once in this folder, where Python, torch and safetensors are installed:"
                + " python -c \"import torch; from safetensors.torch import save_file;"
                + " sd = torch.load('pytorch_model.bin', map_location='cpu');"
                + " save_file({k: v.contiguous().clone() for k, v in sd.items()}, 'model.safetensors', metadata={'format': 'pt'})\""
        }
        return text
    }
}
