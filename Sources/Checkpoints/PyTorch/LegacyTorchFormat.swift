import Foundation

/// The format `torch.save` wrote before torch 1.6 (and still writes with
/// `_use_new_zipfile_serialization=False`): five pickles back to back (a magic number, the
/// protocol version 1001, system information, the saved object, and the list of storage keys),
/// then each storage's bytes in that order, each after its element count as a little-endian Int64.
///
/// Every pickle goes through ``RestrictedUnpickler``, so the same globals are refused as in the
/// zip format.
enum LegacyTorchFormat {
    /// The first pickle: `0x1950a86a20f9469cfc6c`, torch's magic number, as protocol 2 writes it.
    static let magic: [UInt8] = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E]
    static let protocolVersion = 1001

    /// `true` if `bytes` start with torch's magic number.
    static func matches(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= magic.count && bytes.prefix(magic.count).elementsEqual(magic)
    }

    /// The tensors of the saved state dict and the storages they use, by key.
    static func read(_ mapping: MappedFile) throws(CheckpointError) -> (tensors: [(name: String, tensor: TorchTensor)], storages: [String: StorageRecord]) {
        let url = mapping.url
        // Safe: the unpicklers read the mapping only through reads they check against its count,
        // and the mapping outlives them (they are local to this function).
        let bytes = mapping.bytes
        func unpickler(at position: Int, _ what: String) -> RestrictedUnpickler<UnsafeRawBufferPointer> {
            RestrictedUnpickler(bytes: bytes, start: position, file: url, entryName: "the \(what) pickle")
        }
        func malformed(_ text: String) -> CheckpointError {
            CheckpointError(file: url, .invalidValue("malformed legacy PyTorch checkpoint: \(text)"))
        }

        var version = unpickler(at: magic.count, "protocol version")
        guard case .int(protocolVersion) = try version.load() else {
            throw malformed("the protocol version is not \(protocolVersion)")
        }
        var system = unpickler(at: version.position, "system information")
        let systemInfo = try system.load()
        if case .object(let i) = systemInfo, case .dict(let info) = system.objects[i],
           let littleEndian = info[.string("little_endian")], littleEndian != .bool(true) {
            throw CheckpointError(file: url, .unsupportedCheckpoint("the checkpoint was saved big-endian; only little-endian checkpoints can be read"))
        }
        var main = unpickler(at: system.position, "object")
        let root = try main.load()
        let stateDict = try TorchStateDict(root: root, objects: main.objects, file: url, entryName: "the object pickle")

        var keysPickle = unpickler(at: main.position, "storage keys")
        let keysValue = try keysPickle.load()
        guard case .object(let i) = keysValue, case .list(let keyValues) = keysPickle.objects[i] else {
            throw malformed("the storage keys are \(keysValue.kind(in: keysPickle.objects)), not a list")
        }

        var storages: [String: StorageRecord] = [:]
        var position = keysPickle.position
        for value in keyValues {
            guard case .string(let key) = value else { throw malformed("a storage key is \(value.kind(in: keysPickle.objects)), not a string") }
            guard let storage = main.storages[key] else { throw malformed("storage \"\(key)\" is listed but no tensor names it") }
            guard position <= bytes.count - 8 else {
                throw CheckpointError(file: url, .truncated("the file ends at \(bytes.count) bytes, before storage \"\(key)\""))
            }
            // Safe: position + 8 <= count, checked above; loadUnaligned needs no alignment.
            let count = Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: Int64.self))
            position += 8
            guard count == storage.elementCount else {
                throw malformed("storage \"\(key)\" holds \(count) elements, but the object pickle says \(storage.elementCount)")
            }
            let (byteCount, overflow) = storage.elementCount.multipliedReportingOverflow(by: storage.elementSize)
            guard !overflow, byteCount <= bytes.count - position else {
                throw CheckpointError(file: url, .truncated(
                    "storage \"\(key)\" needs \(storage.elementCount) × \(storage.elementSize) bytes at offset \(position), past the end of the file (\(bytes.count) bytes)"))
            }
            guard storages[key] == nil else { throw malformed("storage \"\(key)\" is listed twice") }
            storages[key] = StorageRecord(name: "storage \"\(key)\"", byteCount: byteCount, location: .mapped(position..<(position + byteCount)), zipEntry: nil)
            position += byteCount
        }
        return (stateDict.tensors, storages)
    }
}
