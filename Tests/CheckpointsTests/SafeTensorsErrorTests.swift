import Foundation
import XCTest
@testable import Checkpoints

/// Broken and lying files: each must give a typed error naming the file, the tensor when there is
/// one, and what was expected, never a crash.
final class SafeTensorsErrorTests: XCTestCase {
    enum Kind {
        case truncated, invalidJSON, invalidHeader, unknownDType, invalidShape, invalidOffsets, overlapping

        func matches(_ reason: CheckpointError.Reason) -> Bool {
            switch (self, reason) {
            case (.truncated, .truncated), (.invalidJSON, .invalidJSON), (.invalidHeader, .invalidHeader),
                 (.unknownDType, .unknownDType), (.invalidShape, .invalidShape), (.invalidOffsets, .invalidOffsets),
                 (.overlapping, .overlappingData):
                return true
            default:
                return false
            }
        }
    }

    struct Case {
        var name: String
        var bytes: Data
        var kind: Kind
        var key: String?
        /// Words the message must contain besides the file path.
        var mentions: [String] = []
    }

    static func entry(_ dtype: String = "F32", _ shape: String = "[2]", _ offsets: String = "[0,8]") -> String {
        "{\"dtype\":\"\(dtype)\",\"shape\":\(shape),\"data_offsets\":\(offsets)}"
    }

    static let eight = [UInt8](repeating: 0, count: 8)

    static let cases: [Case] = [
        Case(name: "empty file", bytes: Data(), kind: .truncated, mentions: ["0 bytes"]),
        Case(name: "shorter than the length", bytes: Data([1, 0, 0]), kind: .truncated, mentions: ["3 bytes"]),
        Case(name: "header longer than file",
             bytes: rawSafeTensors(header: "{}", declaredLength: 100), kind: .truncated, mentions: ["100"]),
        Case(name: "huge header length (overflow)",
             bytes: rawSafeTensors(header: "{}", declaredLength: UInt64.max), kind: .truncated,
             mentions: ["\(UInt64.max)"]),
        Case(name: "length with the sign bit set",
             bytes: rawSafeTensors(header: "{}", declaredLength: 1 << 63), kind: .truncated),
        Case(name: "not JSON", bytes: rawSafeTensors(header: "{\"a\": nope}"), kind: .invalidJSON, mentions: ["line 1"]),
        Case(name: "cut-off JSON", bytes: rawSafeTensors(header: "{\"a\":{\"dtype\""), kind: .invalidJSON),
        Case(name: "JSON array", bytes: rawSafeTensors(header: "[1,2]"), kind: .invalidHeader, mentions: ["an array"]),
        Case(name: "deep nesting",
             bytes: rawSafeTensors(header: String(repeating: "[", count: 100_000)), kind: .invalidJSON, mentions: ["nesting"]),
        Case(name: "duplicate key",
             bytes: rawSafeTensors(header: "{\"a\":\(entry()),\"a\":\(entry())}", data: eight), kind: .invalidJSON,
             mentions: ["duplicate", "\"a\""]),
        Case(name: "entry not an object", bytes: rawSafeTensors(header: "{\"w\":[1]}"), kind: .invalidHeader, key: "w"),
        Case(name: "metadata not strings",
             bytes: rawSafeTensors(header: "{\"__metadata__\":{\"format\":1}}"), kind: .invalidHeader, key: "__metadata__"),
        Case(name: "missing dtype",
             bytes: rawSafeTensors(header: "{\"w\":{\"shape\":[2],\"data_offsets\":[0,8]}}", data: eight),
             kind: .invalidHeader, key: "w", mentions: ["dtype"]),
        Case(name: "unknown dtype",
             bytes: rawSafeTensors(header: "{\"w\":\(entry("F31"))}", data: eight), kind: .unknownDType, key: "w",
             mentions: ["F31", "F32", "BF16"]),
        Case(name: "negative dimension",
             bytes: rawSafeTensors(header: "{\"w\":\(entry("F32", "[-2]"))}", data: eight), kind: .invalidShape, key: "w",
             mentions: ["-2"]),
        Case(name: "fractional dimension",
             bytes: rawSafeTensors(header: "{\"w\":\(entry("F32", "[1.5]"))}", data: eight), kind: .invalidShape, key: "w"),
        Case(name: "huge dimension",
             bytes: rawSafeTensors(header: "{\"w\":\(entry("F32", "[1e30]"))}", data: eight), kind: .invalidShape, key: "w"),
        Case(name: "element count overflow",
             bytes: rawSafeTensors(header: "{\"w\":\(entry("F32", "[4294967296,4294967296]"))}", data: eight),
             kind: .invalidShape, key: "w"),
        Case(name: "byte count overflow",
             bytes: rawSafeTensors(header: "{\"w\":\(entry("F64", "[4611686018427387904]"))}", data: eight),
             kind: .invalidShape, key: "w"),
        Case(name: "shape not an array",
             bytes: rawSafeTensors(header: "{\"w\":\(entry("F32", "2"))}", data: eight), kind: .invalidShape, key: "w"),
        Case(name: "end before start",
             bytes: rawSafeTensors(header: "{\"w\":\(entry("F32", "[2]", "[8,0]"))}", data: eight), kind: .invalidOffsets,
             key: "w", mentions: ["[8, 0]"]),
        Case(name: "negative offset",
             bytes: rawSafeTensors(header: "{\"w\":\(entry("F32", "[2]", "[-8,0]"))}", data: eight), kind: .invalidOffsets,
             key: "w"),
        Case(name: "three offsets",
             bytes: rawSafeTensors(header: "{\"w\":\(entry("F32", "[2]", "[0,4,8]"))}", data: eight), kind: .invalidOffsets,
             key: "w"),
        Case(name: "offsets past the end (truncated data)",
             bytes: rawSafeTensors(header: "{\"w\":\(entry("F32", "[4]", "[0,16]"))}", data: eight), kind: .truncated,
             key: "w", mentions: ["16", "8 bytes"]),
        Case(name: "huge end offset",
             bytes: rawSafeTensors(header: "{\"w\":\(entry("F32", "[2]", "[0,9223372036854775807]"))}", data: eight),
             kind: .truncated, key: "w"),
        Case(name: "size differs from shape",
             bytes: rawSafeTensors(header: "{\"w\":\(entry("F32", "[3]", "[0,8]"))}", data: eight), kind: .invalidOffsets,
             key: "w", mentions: ["12 bytes", "8 bytes", "[3]"]),
        Case(name: "overlapping tensors",
             bytes: rawSafeTensors(header: "{\"a\":\(entry("F32", "[2]", "[0,8]")),\"b\":\(entry("F32", "[1]", "[4,8]"))}",
                                   data: eight),
             kind: .overlapping, key: "b", mentions: ["\"a\""]),
    ]

    func testEveryMalformedFileGivesATypedError() throws {
        let folder = try TemporaryFolder()
        for (i, test) in Self.cases.enumerated() {
            let url = try folder.write("case\(i).safetensors", test.bytes)
            guard let error = expectError({ () throws(CheckpointError) in try SafeTensorsFile(url: url) }) else {
                XCTFail("\(test.name): no error")
                continue
            }
            XCTAssert(test.kind.matches(error.reason), "\(test.name): got \(error.reason)")
            XCTAssertEqual(error.file, url, test.name)
            XCTAssertEqual(error.key, test.key, test.name)
            assertMentions(error.description, [url.path] + test.mentions)
        }
    }

    func testGapsAndTrailingBytesAreAccepted() throws {
        // Not written by the Python library, but harmless: the ranges are in bounds and disjoint.
        let header = "{\"a\":\(Self.entry("F32", "[1]", "[4,8]")),\"z\":\(Self.entry("F32", "[0]", "[4,4]"))}"
        let folder = try TemporaryFolder()
        let url = try folder.write("gaps.safetensors", rawSafeTensors(header: header, data: floatBytes([0, 7, 9])))
        let file = try SafeTensorsFile(url: url)
        XCTAssertEqual(try file.floats("a"), [7])
        XCTAssertEqual(try file.floats("z"), [Float]())
    }

    func testUnalignedDataIsReadCorrectly() throws {
        // A 1-byte header padding puts the data at an odd offset.
        let header = "{\"a\":\(Self.entry("F32", "[2]", "[1,9]"))} "
        let folder = try TemporaryFolder()
        let url = try folder.write("odd.safetensors", rawSafeTensors(header: header, data: [0xAA] + floatBytes([1.25, -3])))
        XCTAssertEqual(try SafeTensorsFile(url: url).floats("a"), [1.25, -3])
    }
}
