import Foundation

/// One PyTorch checkpoint file (`pytorch_model.bin`, as `torch.save` writes it), read without
/// Python and without running any of its code.
///
/// The file is a zip archive (`<name>/data.pkl`, `<name>/data/0`, `<name>/data/1`, …), or a file
/// in the legacy format of torch before 1.6 (pickles followed by the storages), and is
/// memory-mapped. Opening reads the archive's directory and unpickles `data.pkl` with a restricted
/// unpickler in the spirit of `torch.load(weights_only=True)`: only the globals that rebuild
/// tensors are allowed, and any other (`os.system`, `builtins.eval`, …) is refused by name, so a
/// malicious checkpoint is reported, never run. Every tensor's dtype, shape, strides and storage
/// range is then checked against the archive, so a later read cannot go out of bounds. Reading a
/// tensor converts it (F32, F16, BF16 or F64, including strided views) to `Float`, in row-major
/// order.
///
/// ```swift
/// let file = try PyTorchFile(url: folder.appending(path: "pytorch_model.bin"))
/// let query = try file.floats("encoder.layer.0.attention.self.query.weight", shape: [384, 384])
/// ```
///
/// The ``TensorInfo/dataOffsets`` of a tensor here are the bytes it spans inside its storage
/// (the archive entry `data/<key>`), from its first element to its last.
///
/// Most callers should use ``Checkpoint/open(_:)``, which prefers safetensors when a folder has
/// both formats.
public struct PyTorchFile: WeightSource {
    /// The file.
    public let url: URL
    /// Every tensor name, sorted.
    public let keys: [String]

    private let tensors: [String: Layout]
    private let mapping: MappedFile
    /// The archive, or `nil` for the legacy format.
    private let archive: ZipArchive?

    /// Where a tensor's elements are: a strided view of a storage.
    private struct Layout: Sendable {
        var info: TensorInfo
        var storage: StorageRecord
        /// Index (in elements) of the first element in the storage.
        var offset: Int
        /// Element strides; those of dimensions of size 1 are set to 0.
        var strides: [Int]
        /// `true` when the elements are consecutive and in row-major order.
        var isContiguous: Bool
    }

    /// Maps `url` and reads its directory and state dict.
    ///
    /// - Throws: ``CheckpointError`` naming the file (and the tensor, when there is one) when the
    ///   file is missing, truncated or not a valid zip archive; when its pickle names a global
    ///   other than the tensor-rebuilding ones (``CheckpointError/Reason/unsupportedCheckpoint(_:)``,
    ///   naming the global), uses an opcode a state dict does not need, or is malformed; when it is
    ///   big-endian; or when a tensor's dtype cannot be read, its shape, strides or offset reach
    ///   outside its storage, or it repeats elements (stride 0) into more than 16 Mi of them.
    public init(url: URL) throws(CheckpointError) {
        let mapping = try MappedFile(url: url)
        let tensors: [(name: String, tensor: TorchTensor)]
        let storages: [String: StorageRecord]
        if mapping.bytes.isEmpty {
            throw CheckpointError(file: url, .truncated("the file is empty"))
        }
        if LegacyTorchFormat.matches(mapping.bytes) {
            (tensors, storages) = try LegacyTorchFormat.read(mapping)
            archive = nil
        } else {
            if mapping.bytes.first == PickleOpcode.proto.rawValue {
                throw CheckpointError(file: url, .unsupportedCheckpoint(
                    "this is a bare pickle without torch's magic number, not a file torch.save writes"))
            }
            if mapping.bytes.count > 262, mapping.bytes[257..<262].elementsEqual("ustar".utf8) {
                throw CheckpointError(file: url, .unsupportedCheckpoint(
                    "this is a tar archive, the format of torch before 0.4, which this package cannot read; "
                        + "convert it once where Python and torch are installed: \(Self.conversionHint)"))
            }
            let archive = try ZipArchive(mapping: mapping)
            (tensors, storages) = try Self.readArchive(archive)
            self.archive = archive
        }

        var layouts: [String: Layout] = [:]
        for (name, tensor) in tensors {
            layouts[name] = try Self.layout(name, tensor, storages: storages, file: url)
        }
        self.url = url
        self.mapping = mapping
        self.tensors = layouts
        self.keys = layouts.keys.sorted()
    }

    public func info(_ key: String) -> TensorInfo? { tensors[key]?.info }

    public func file(containing key: String) -> URL? { url }

    /// The element strides of `key` (PyTorch's `tensor.stride()`; those of dimensions of size 1
    /// read 0), or `nil` if there is no such tensor.
    public func strides(_ key: String) -> [Int]? { tensors[key]?.strides }

    public func readFloats(_ key: String, into buffer: UnsafeMutableBufferPointer<Float>) throws(CheckpointError) {
        guard let layout = tensors[key] else { throw missingTensorError(key) }
        let info = layout.info
        try info.checkReadable(into: buffer.count, key: key, file: url)
        guard info.elementCount > 0, let destination = buffer.baseAddress else { return }
        withStorage(layout) { storage in
            // Safe throughout: every element index the layout yields is below the storage's element
            // count, checked in layout(_:_:storages:file:); loadUnaligned needs no alignment.
            switch info.dtype {
            case .float32:
                #if _endian(little)
                if layout.isContiguous {
                    // Safe: the tensor's bytes are info.dataOffsets, inside `storage` (checked when opened).
                    UnsafeMutableRawPointer(destination).copyMemory(
                        from: storage.baseAddress! + info.dataOffsets.lowerBound, byteCount: info.dataOffsets.count)
                    return
                }
                #endif
                Self.gather(layout, into: buffer) {
                    Float(bitPattern: UInt32(littleEndian: storage.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)))
                }
            case .float16:
                Self.gather(layout, into: buffer) {
                    floatFromFloat16Bits(UInt16(littleEndian: storage.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self)))
                }
            case .bfloat16:
                Self.gather(layout, into: buffer) {
                    floatFromBFloat16Bits(UInt16(littleEndian: storage.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self)))
                }
            case .float64:
                Self.gather(layout, into: buffer) {
                    Float(Double(bitPattern: UInt64(littleEndian: storage.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self))))
                }
            default:
                preconditionFailure("isReadableAsFloat covers exactly the cases above")
            }
        }
    }

    /// The integer or boolean tensor `key` (such as the `embeddings.position_ids` buffer older
    /// transformers saved) as `Int64`s, in row-major order.
    ///
    /// - Throws: ``CheckpointError`` when the key is missing, the dtype is not an integer or
    ///   boolean type, or a `U64` value does not fit in `Int64`.
    public func int64s(_ key: String) throws(CheckpointError) -> [Int64] {
        guard let layout = tensors[key] else { throw missingTensorError(key) }
        let dtype = layout.info.dtype
        guard dtype.isInteger else {
            throw CheckpointError(file: url, key: key, .invalidValue(
                "tensor has dtype \(dtype.rawValue), expected an integer or boolean dtype"))
        }
        var values = [Int64](repeating: 0, count: layout.info.elementCount)
        var overflow: (index: Int, value: UInt64)?
        values.withUnsafeMutableBufferPointer { buffer in
            withStorage(layout) { storage in
                // Safe throughout: as in readFloats(_:into:).
                switch dtype {
                case .bool, .uint8: Self.gather(layout, into: buffer) { Int64(storage[$0]) }
                case .int8: Self.gather(layout, into: buffer) { Int64(Int8(bitPattern: storage[$0])) }
                case .int16: Self.gather(layout, into: buffer) { Int64(Int16(littleEndian: storage.loadUnaligned(fromByteOffset: 2 * $0, as: Int16.self))) }
                case .uint16: Self.gather(layout, into: buffer) { Int64(UInt16(littleEndian: storage.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) }
                case .int32: Self.gather(layout, into: buffer) { Int64(Int32(littleEndian: storage.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self))) }
                case .uint32: Self.gather(layout, into: buffer) { Int64(UInt32(littleEndian: storage.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self))) }
                case .int64: Self.gather(layout, into: buffer) { Int64(littleEndian: storage.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self)) }
                case .uint64:
                    Self.gather(layout, into: buffer) {
                        let value = UInt64(littleEndian: storage.loadUnaligned(fromByteOffset: 8 * $0, as: UInt64.self))
                        if value > UInt64(Int64.max), overflow == nil { overflow = ($0, value) }
                        return Int64(truncatingIfNeeded: value)
                    }
                default:
                    preconditionFailure("isInteger covers exactly the cases above")
                }
            }
        }
        if let overflow {
            throw CheckpointError(file: url, key: key, .invalidValue(
                "U64 value \(overflow.value) at storage element \(overflow.index) does not fit in Int64"))
        }
        return values
    }

    /// Checks the CRC-32 of every storage against the zip directory, reading the whole file.
    /// Opening checks only `data.pkl`'s, so that loading stays as fast as mapping; call this to
    /// detect bit rot in the weights themselves. (The legacy format has no checksums: nothing to do.)
    public func verifyChecksums() throws(CheckpointError) {
        guard let archive else { return }
        var checked = Set<String>()
        for layout in tensors.values where checked.insert(layout.storage.name).inserted {
            if let entry = layout.storage.zipEntry { try archive.verifyChecksum(of: entry) }
        }
    }

    // MARK: - Reading

    /// Calls `body` with the bytes of the tensor's storage.
    private func withStorage(_ layout: Layout, _ body: (UnsafeRawBufferPointer) -> Void) {
        switch layout.storage.location {
        case .mapped(let range):
            // Safe: the range was checked against the mapping's size when the file was opened, and
            // the mapping lives as long as `self`, which outlives `body`.
            body(UnsafeRawBufferPointer(rebasing: mapping.bytes[range]))
        case .inflated(let bytes):
            bytes.withUnsafeBytes(body)
        }
    }

    /// Writes `element(index)` for each element's storage index, in row-major order.
    @inline(__always)
    private static func gather<T>(_ layout: Layout, into buffer: UnsafeMutableBufferPointer<T>, _ element: (Int) -> T) {
        let count = layout.info.elementCount
        if layout.isContiguous {
            for i in 0..<count { buffer[i] = element(layout.offset + i) }
            return
        }
        // An odometer over the multi-index; `position` is the storage index of the current element.
        // It stays within twice the tensor's extent, so it cannot overflow.
        let shape = layout.info.shape
        let strides = layout.strides
        var index = [Int](repeating: 0, count: shape.count)
        var position = layout.offset
        for i in 0..<count {
            buffer[i] = element(position)
            var d = shape.count - 1
            while d >= 0 {
                index[d] += 1
                position += strides[d]
                if index[d] < shape[d] { break }
                position -= strides[d] * shape[d]
                index[d] = 0
                d -= 1
            }
        }
    }

    // MARK: - Opening

    /// The tensors of a zip archive's `data.pkl` and the storages they use, by key.
    private static func readArchive(_ archive: ZipArchive) throws(CheckpointError) -> (tensors: [(name: String, tensor: TorchTensor)], storages: [String: StorageRecord]) {
        let url = archive.url
        let prefix = try recordPrefix(archive)
        if let byteorder = archive.entry(prefix + "byteorder") {
            let text = String(decoding: try archive.bytes(of: byteorder), as: UTF8.self)
            guard text == "little" else {
                throw CheckpointError(file: url, .unsupportedCheckpoint(
                    "\(byteorder.name) says \"\(text)\"; only little-endian checkpoints can be read"))
            }
        }
        let pickleEntry = archive.entry(prefix + "data.pkl")!
        try archive.verifyChecksum(of: pickleEntry)
        var unpickler = RestrictedUnpickler(bytes: try archive.bytes(of: pickleEntry), file: url, entryName: pickleEntry.name)
        let root = try unpickler.load()
        let stateDict = try TorchStateDict(root: root, objects: unpickler.objects, file: url, entryName: pickleEntry.name)

        var storages: [String: StorageRecord] = [:]
        for key in unpickler.storages.keys {
            guard let entry = archive.entry(prefix + "data/" + key) else { continue }  // reported by layout if used
            let location: StorageRecord.Location = switch entry.method {
            case .stored: .mapped(entry.dataRange)
            case .deflated: .inflated(try archive.bytes(of: entry))  // torch never compresses; zip tools may
            }
            storages[key] = StorageRecord(name: entry.name, byteCount: entry.uncompressedSize, location: location, zipEntry: entry)
        }
        return (stateDict.tensors, storages)
    }

    /// The folder every record of the archive is under, with its slash (`archive/`,
    /// `pytorch_model/`): that of the first entry, as torch reads it, else the one holding `data.pkl`.
    private static func recordPrefix(_ archive: ZipArchive) throws(CheckpointError) -> String {
        if let first = archive.entries.first?.name, let slash = first.firstIndex(of: "/") {
            let prefix = String(first[...slash])
            if archive.entry(prefix + "data.pkl") != nil { return prefix }
        }
        let candidates = archive.entries.map(\.name).filter {
            $0.hasSuffix("/data.pkl") && $0.filter { $0 == "/" }.count == 1
        }
        if candidates.count == 1 { return String(candidates[0].dropLast("data.pkl".count)) }
        let names = archive.entries.prefix(5).map { "\"\($0.name)\"" }.joined(separator: ", ")
        throw CheckpointError(file: archive.url, .unsupportedCheckpoint(
            candidates.isEmpty
                ? "the zip archive has no <folder>/data.pkl, so it was not written by torch.save (it has \(archive.entries.count) entries: \(names)\(archive.entries.count > 5 ? ", …" : ""))"
                : "the zip archive has several data.pkl records (\(candidates.joined(separator: ", "))); torch.save writes one"))
    }

    /// Checks a tensor against its storage and says where its elements are.
    private static func layout(
        _ name: String, _ tensor: TorchTensor, storages: [String: StorageRecord], file: URL
    ) throws(CheckpointError) -> Layout {
        func fail(_ reason: CheckpointError.Reason) -> CheckpointError {
            CheckpointError(file: file, key: name, reason)
        }
        let storage = tensor.storage
        guard let dtype = tensor.dtype else {
            throw fail(.unsupportedCheckpoint("tensor has element type \(tensor.dtypeName), which this package cannot read"))
        }
        guard let storageDType = storage.dtype else {
            throw fail(.unsupportedCheckpoint("tensor's storage has type \(storage.typeName), which this package cannot read"))
        }
        guard let record = storages[storage.key] else {
            throw fail(.truncated("its storage \"\(storage.key)\" is missing from the file"))
        }
        let recordName = record.name
        let (storageBytes, bytesOverflow) = storage.elementCount.multipliedReportingOverflow(by: storageDType.byteCount)
        guard !bytesOverflow, storageBytes == record.byteCount else {
            throw fail(.invalidValue(
                "its storage \(storage.typeName) of \(storage.elementCount) elements needs \(bytesOverflow ? "more than \(Int.max)" : String(storageBytes)) bytes, but \(recordName) has \(record.byteCount)"))
        }

        let shape = tensor.shape
        guard shape.count == tensor.strides.count else {
            throw fail(.invalidShape("size \(shape) and stride \(tensor.strides) have different lengths"))
        }
        guard shape.allSatisfy({ $0 >= 0 }) else { throw fail(.invalidShape("size \(shape) has a negative dimension")) }
        guard tensor.strides.allSatisfy({ $0 >= 0 }) else {
            throw fail(.invalidShape("stride \(tensor.strides) has a negative step"))
        }
        guard tensor.storageOffset >= 0 else { throw fail(.invalidOffsets("storage offset \(tensor.storageOffset) is negative")) }
        var elementCount = 1
        for n in shape {
            let (product, overflow) = elementCount.multipliedReportingOverflow(by: n)
            guard !overflow else { throw fail(.invalidShape("size \(shape) has more elements than can be addressed")) }
            elementCount = product
        }

        // A view that repeats elements (a stride of 0, as `expand` makes) can claim more elements
        // than its storage holds; cap those, so that a small file cannot make a reader allocate
        // gigabytes. Views without repeats have at most as many elements as their storage.
        let storageElements = storageBytes / dtype.byteCount
        guard elementCount <= max(storageElements, maxRepeatedElements) else {
            throw fail(.invalidShape(
                "size \(shape) with stride \(tensor.strides) repeats the \(storageElements) elements of its storage into \(elementCount); "
                    + "at most \(maxRepeatedElements) are read"))
        }

        // The storage index of the last element, then the byte range from the first to it.
        let strides = zip(shape, tensor.strides).map { $0 == 1 ? 0 : $1 }
        let tooFar = fail(.invalidOffsets(
            "offset \(tensor.storageOffset), size \(shape) and stride \(tensor.strides) reach past the end of its storage "
                + "\(recordName) (\(storageElements) elements of \(dtype.rawValue))"))
        var dataOffsets = 0..<0
        if elementCount > 0 {
            var last = tensor.storageOffset
            for (n, stride) in zip(shape, strides) {
                let (step, overflow) = (n - 1).multipliedReportingOverflow(by: stride)
                let (sum, overflow2) = last.addingReportingOverflow(step)
                guard !overflow, !overflow2 else { throw tooFar }
                last = sum
            }
            guard last < storageElements else { throw tooFar }
            // Both products are at most storageBytes: no overflow.
            dataOffsets = (tensor.storageOffset * dtype.byteCount)..<((last + 1) * dtype.byteCount)
        }

        var isContiguous = true
        var expected = 1
        if elementCount > 0 {
            for (n, stride) in zip(shape, strides).reversed() where n != 1 {
                if stride != expected { isContiguous = false }
                expected *= n  // at most elementCount: no overflow
            }
        }
        return Layout(
            info: TensorInfo(name: name, dtype: dtype, shape: shape, dataOffsets: dataOffsets),
            storage: record, offset: tensor.storageOffset, strides: strides, isContiguous: isContiguous)
    }

    /// The most elements a view that repeats elements of its storage may have (16 Mi).
    static let maxRepeatedElements = 1 << 24

    /// How to turn a checkpoint this package cannot read into one it can.
    static let conversionHint = "python -c \"import torch; from safetensors.torch import save_file;"
        + " sd = torch.load('pytorch_model.bin', map_location='cpu', weights_only=True);"
        + " save_file({k: v.contiguous().clone() for k, v in sd.items()}, 'model.safetensors', metadata={'format': 'pt'})\""
}

extension PyTorchFile: CheckpointFormatFile {
    public static let singleFileName = "pytorch_model.bin"
    public static let indexFileName = "pytorch_model.bin.index.json"

    public static func explainMissingCheckpoint(in folder: URL) -> String {
        "no \(singleFileName) or \(indexFileName) in this folder"
    }
}
