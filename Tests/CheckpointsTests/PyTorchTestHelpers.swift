import Foundation
import TestSupport
import XCTest
@testable import Checkpoints

/// The PyTorch fixtures written by scripts/fixtures/pytorch_bin_fixtures.py.
enum PyTorchFixtures {
    static let folder = TestPaths.packageRoot.appending(path: "Tests/CheckpointsTests/Fixtures/pytorch")
    static let tinyBertSafetensors = TestPaths.packageRoot.appending(path: "Tests/ModelsTests/Fixtures/tiny-bert/model.safetensors")

    static func url(_ name: String) -> URL { folder.appending(path: name) }
}

/// Pickle bytes written opcode by opcode, for hand-made (and hostile) `data.pkl` records.
struct PickleBuilder {
    var bytes: [UInt8] = [PickleOpcode.proto.rawValue, 2]

    mutating func op(_ opcode: PickleOpcode) { bytes.append(opcode.rawValue) }
    mutating func raw(_ more: [UInt8]) { bytes += more }

    mutating func string(_ text: String) {
        let utf8 = Array(text.utf8)
        op(.binUnicode)
        bytes += withUnsafeBytes(of: UInt32(utf8.count).littleEndian) { Array($0) } + utf8
    }

    mutating func int(_ value: Int32) {
        op(.binInt)
        bytes += withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }

    mutating func global(_ module: String, _ name: String) {
        op(.global)
        bytes += Array("\(module)\n\(name)\n".utf8)
    }

    /// MARK, the items, TUPLE.
    mutating func tuple(_ items: (inout PickleBuilder) -> Void) {
        op(.mark)
        items(&self)
        op(.tuple)
    }

    mutating func ints(_ values: [Int]) {
        tuple { b in for v in values { b.int(Int32(v)) } }
    }

    /// `_rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())` of the
    /// persistent storage `('storage', torch.<storageType>, key, 'cpu', numel)`.
    mutating func tensor(storageType: String = "FloatStorage", key: String = "0", numel: Int,
                         offset: Int = 0, size: [Int], stride: [Int]) {
        global("torch._utils", "_rebuild_tensor_v2")
        tuple { b in
            b.tuple { b in
                b.string("storage")
                b.global("torch", storageType)
                b.string(key)
                b.string("cpu")
                b.int(Int32(numel))
            }
            b.op(.binPersID)
            b.int(Int32(offset))
            b.ints(size)
            b.ints(stride)
            b.op(.newFalse)
            b.global("collections", "OrderedDict")
            b.op(.emptyTuple)
            b.op(.reduce)
        }
        op(.reduce)
    }

    /// `{name: value}` where `value` is whatever `body` pushes, then STOP.
    static func stateDict(_ name: String = "w", _ body: (inout PickleBuilder) -> Void) -> [UInt8] {
        var b = PickleBuilder()
        b.op(.emptyDict)
        b.string(name)
        body(&b)
        b.op(.setItem)
        b.op(.stop)
        return b.bytes
    }
}

/// A zip archive of stored entries in torch's layout (`<prefix>/data.pkl`, `<prefix>/byteorder`,
/// `<prefix>/data/<key>`), written the plain way (no data descriptors, no ZIP64).
func torchZip(pickle: [UInt8], records: [String: [UInt8]] = [:], prefix: String = "archive",
              byteorder: String = "little") -> Data {
    var entries: [(String, [UInt8])] = [("\(prefix)/data.pkl", pickle), ("\(prefix)/byteorder", Array(byteorder.utf8))]
    for key in records.keys.sorted() { entries.append(("\(prefix)/data/\(key)", records[key]!)) }
    return storedZip(entries)
}

/// A zip archive of stored entries, in order.
func storedZip(_ entries: [(name: String, bytes: [UInt8])]) -> Data {
    func u16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
    func u32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    var file: [UInt8] = []
    var central: [UInt8] = []
    for (name, bytes) in entries {
        let nameBytes = Array(name.utf8)
        let crc = CRC32.checksum(bytes)
        let offset = UInt32(file.count)
        file += u32(0x0403_4B50) + u16(20) + u16(0) + u16(0) + u16(0) + u16(0) + u32(crc)
            + u32(UInt32(bytes.count)) + u32(UInt32(bytes.count)) + u16(nameBytes.count) + u16(0) + nameBytes + bytes
        central += u32(0x0201_4B50) + u16(20) + u16(20) + u16(0) + u16(0) + u16(0) + u16(0) + u32(crc)
            + u32(UInt32(bytes.count)) + u32(UInt32(bytes.count)) + u16(nameBytes.count) + u16(0) + u16(0)
            + u16(0) + u16(0) + u32(0) + u32(offset) + nameBytes
    }
    let centralOffset = UInt32(file.count)
    file += central
    file += u32(0x0605_4B50) + u16(0) + u16(0) + u16(entries.count) + u16(entries.count)
        + u32(UInt32(central.count)) + u32(centralOffset) + u16(0)
    return Data(file)
}

/// Little-endian bytes of integers.
func int64Bytes(_ values: [Int64]) -> [UInt8] {
    values.flatMap { value in withUnsafeBytes(of: value.littleEndian) { Array($0) } }
}

/// Runs `body` and returns the `CheckpointError` it throws; fails the test on success or on any
/// other error.
func expectCheckpointError(
    _ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line
) -> CheckpointError? {
    do {
        try body()
        XCTFail("expected a CheckpointError", file: file, line: line)
    } catch let error as CheckpointError {
        return error
    } catch {
        XCTFail("expected a CheckpointError, got \(error)", file: file, line: line)
    }
    return nil
}
