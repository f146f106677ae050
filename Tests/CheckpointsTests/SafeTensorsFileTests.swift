import Foundation
import XCTest
@testable import Checkpoints

final class SafeTensorsFileTests: XCTestCase {
    func testWriteThenReadRoundTrip() throws {
        let folder = try TemporaryFolder()
        let url = folder.url.appending(path: "model.safetensors")
        let weight: [Float] = (0..<12).map { Float($0) * 0.5 - 2 }
        var writer = SafeTensorsWriter()
        writer.add("encoder.layer.0.weight", shape: [3, 4], values: weight)
        writer.add("bias", shape: [4], values: [1, -1, .infinity, -0.0])
        writer.add("scalar", shape: [], values: [42])
        writer.add("empty", shape: [0, 7], values: [])
        try writer.write(to: url)

        let file = try SafeTensorsFile(url: url)
        XCTAssertEqual(file.keys, ["bias", "empty", "encoder.layer.0.weight", "scalar"])
        XCTAssertEqual(file.metadata, ["format": "pt"])
        XCTAssertEqual(file.info("encoder.layer.0.weight")?.shape, [3, 4])
        XCTAssertEqual(file.info("encoder.layer.0.weight")?.dtype, .float32)
        XCTAssertEqual(try file.floats("encoder.layer.0.weight"), weight)
        XCTAssertEqual(try file.floats("encoder.layer.0.weight", shape: [3, 4]), weight)
        XCTAssertEqual(try file.floats("bias").map(\.bitPattern), [Float(1), -1, .infinity, -0.0].map(\.bitPattern))
        XCTAssertEqual(try file.floats("scalar"), [42])
        XCTAssertEqual(file.info("scalar")?.elementCount, 1)
        XCTAssertEqual(try file.floats("empty"), [])

        var buffer = [Float](repeating: 0, count: 4)
        try buffer.withUnsafeMutableBufferPointer { pointer in try file.readFloats("bias", into: pointer) }
        XCTAssertEqual(buffer[0], 1)
    }

    func testWriterWithoutMetadataAndDataIsAligned() throws {
        var writer = SafeTensorsWriter(metadata: nil)
        writer.add("x", shape: [1], values: [3])
        let header = writer.header()
        XCTAssertEqual(header.count % 8, 0, "header padded so the data section is 8-byte aligned")
        XCTAssertFalse(String(decoding: header, as: UTF8.self).contains("__metadata__"))
        XCTAssertEqual(header.last, UInt8(ascii: " "))
    }

    /// The writer's bytes equal those of the Python safetensors library for the same tensors.
    func testWriterMatchesPythonLibraryByteForByte() throws {
        var writer = SafeTensorsWriter()
        writer.add("b.weight", shape: [2, 3], values: [0, 1, 2, 3, 4, 5])
        writer.add("a", shape: [1], values: [1.5])
        writer.add("empty", shape: [0, 3], values: [])
        let folder = try TemporaryFolder()
        let url = folder.url.appending(path: "out.safetensors")
        try writer.write(to: url)
        XCTAssertEqual([UInt8](try Data(contentsOf: url)), hexBytes(PythonFixtures.f32OnlyHex))
    }

    /// A file written by the Python library reads back as numpy reads it, and its integer buffer is skipped.
    func testReadsPythonFileWithMixedDTypes() throws {
        let folder = try TemporaryFolder()
        let url = try folder.write("mixed.safetensors", Data(hexBytes(PythonFixtures.mixedHex)))
        let file = try SafeTensorsFile(url: url)
        XCTAssertEqual(file.keys, ["embeddings.position_ids", "encoder.half", "encoder.weight", "scalar"])
        XCTAssertEqual(file.floatKeys, ["encoder.half", "encoder.weight", "scalar"])
        XCTAssertEqual(file.info("embeddings.position_ids")?.dtype, .int64)
        XCTAssertEqual(file.info("scalar")?.shape, [])
        for (key, expected) in PythonFixtures.mixedFloats {
            let actual = try file.floats(key)
            XCTAssertEqual(actual.count, expected.count, key)
            for (a, e) in zip(actual, expected) {
                XCTAssert(a.bitPattern == e.bitPattern || (a.isNaN && e.isNaN), "\(key): \(a) != \(e)")
            }
        }
        XCTAssertEqual(try file.int64s("embeddings.position_ids"), [0, 1, 2, 3])

        let error = expectError { () throws(CheckpointError) in try file.floats("embeddings.position_ids") }
        XCTAssertEqual(error?.reason, .notFloatingPoint(.int64))
        XCTAssertEqual(error?.key, "embeddings.position_ids")
        XCTAssertEqual(error?.file, url)
    }

    /// F16 and BF16 written by hand, including subnormals, infinities, NaN and negative zero.
    func testHalfPrecisionConversion() throws {
        let f16: [(bits: UInt16, value: Float)] = [
            (0x3C00, 1), (0xC000, -2), (0x7BFF, 65504), (0x3555, 0.333251953125),
            (0x0001, 0x1p-24), (0x03FF, 0x1.ff8p-15), (0x0400, 0x1p-14), (0x8001, -0x1p-24),
            (0x0000, 0), (0x8000, -0.0), (0x7C00, .infinity), (0xFC00, -.infinity),
        ]
        let bf16: [(bits: UInt16, value: Float)] = [
            (0x3F80, 1), (0xC000, -2), (0x3EAB, 0.333984375), (0x0001, 0x1p-133), (0x0080, 0x1p-126),
            (0x7F7F, 0x1.fep127), (0x8000, -0.0), (0x7F80, .infinity), (0xFF80, -.infinity),
        ]
        let nans: [UInt16] = [0x7E00, 0x7C01, 0xFE00]
        let bfNaNs: [UInt16] = [0x7FC0, 0x7F81, 0xFFC0]
        let header = """
            {"h":{"dtype":"F16","shape":[\(f16.count)],"data_offsets":[0,\(2 * f16.count)]},\
            "b":{"dtype":"BF16","shape":[\(bf16.count)],"data_offsets":[\(2 * f16.count),\(2 * (f16.count + bf16.count))]},\
            "hn":{"dtype":"F16","shape":[3],"data_offsets":[\(2 * (f16.count + bf16.count)),\(2 * (f16.count + bf16.count) + 6)]},\
            "bn":{"dtype":"BF16","shape":[3],"data_offsets":[\(2 * (f16.count + bf16.count) + 6),\(2 * (f16.count + bf16.count) + 12)]}}
            """
        let data = halfBytes(f16.map(\.bits)) + halfBytes(bf16.map(\.bits)) + halfBytes(nans) + halfBytes(bfNaNs)
        let folder = try TemporaryFolder()
        let file = try SafeTensorsFile(url: folder.write("half.safetensors", rawSafeTensors(header: header, data: data)))
        XCTAssertEqual(try file.floats("h").map(\.bitPattern), f16.map(\.value.bitPattern))
        XCTAssertEqual(try file.floats("b").map(\.bitPattern), bf16.map(\.value.bitPattern))
        XCTAssert(try file.floats("hn").allSatisfy(\.isNaN))
        XCTAssert(try file.floats("bn").allSatisfy(\.isNaN))
    }

    #if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
    /// Every one of the 65,536 F16 bit patterns widens exactly as Swift's Float16 does.
    func testFloat16ConversionIsExactForEveryBitPattern() {
        for bits in UInt16.min...UInt16.max {
            let expected = Float(Float16(bitPattern: bits))
            let actual = floatFromFloat16Bits(bits)
            if expected.isNaN {
                XCTAssert(actual.isNaN, "0x\(String(bits, radix: 16))")
            } else if actual.bitPattern != expected.bitPattern {
                XCTFail("0x\(String(bits, radix: 16)): \(actual) != \(expected)")
                return
            }
        }
    }
    #endif

    func testF64AndIntegerDTypes() throws {
        let header = """
            {"d":{"dtype":"F64","shape":[2],"data_offsets":[0,16]},\
            "i8":{"dtype":"I8","shape":[2],"data_offsets":[16,18]},\
            "u16":{"dtype":"U16","shape":[1],"data_offsets":[18,20]},\
            "i32":{"dtype":"I32","shape":[1],"data_offsets":[20,24]},\
            "ok":{"dtype":"BOOL","shape":[2],"data_offsets":[24,26]},\
            "big":{"dtype":"U64","shape":[1],"data_offsets":[26,34]}}
            """
        var data: [UInt8] = []
        for d in [0.1, -1e300] { withUnsafeBytes(of: d.bitPattern.littleEndian) { data += $0 } }
        data += [0xFF, 0x05]  // -1, 5
        data += [0x34, 0x12]  // 0x1234
        withUnsafeBytes(of: Int32(-70000).littleEndian) { data += $0 }
        data += [1, 0]
        withUnsafeBytes(of: UInt64.max.littleEndian) { data += $0 }
        let folder = try TemporaryFolder()
        let file = try SafeTensorsFile(url: folder.write("x.safetensors", rawSafeTensors(header: header, data: data)))
        XCTAssertEqual(try file.floats("d"), [Float(0.1), -.infinity])
        XCTAssertEqual(try file.int64s("i8"), [-1, 5])
        XCTAssertEqual(try file.int64s("u16"), [0x1234])
        XCTAssertEqual(try file.int64s("i32"), [-70000])
        XCTAssertEqual(try file.int64s("ok"), [1, 0])
        XCTAssertEqual(file.floatKeys, ["d"])
        let overflow = expectError { () throws(CheckpointError) in try file.int64s("big") }
        XCTAssertEqual(overflow?.key, "big")
        let notInteger = expectError { () throws(CheckpointError) in try file.int64s("d") }
        XCTAssertEqual(notInteger?.key, "d")
    }

    func testMissingKeySuggestsSimilarNames() throws {
        var writer = SafeTensorsWriter()
        writer.add("bert.embeddings.word_embeddings.weight", shape: [1], values: [0])
        writer.add("bert.embeddings.LayerNorm.gamma", shape: [1], values: [0])
        writer.add("cls.predictions.bias", shape: [1], values: [0])
        let folder = try TemporaryFolder()
        let url = folder.url.appending(path: "m.safetensors")
        try writer.write(to: url)
        let file = try SafeTensorsFile(url: url)

        let prefixed = expectError { () throws(CheckpointError) in try file.floats("embeddings.word_embeddings.weight") }
        XCTAssertEqual(prefixed?.key, "embeddings.word_embeddings.weight")
        XCTAssertEqual(prefixed?.file, url)
        XCTAssertEqual(prefixed?.reason, .missingTensor(similar: ["bert.embeddings.word_embeddings.weight"]))

        let renamed = expectError { () throws(CheckpointError) in try file.tensorInfo("bert.embeddings.LayerNorm.weight") }
        XCTAssertEqual(renamed?.reason, .missingTensor(similar: ["bert.embeddings.LayerNorm.gamma"]))

        let unrelated = expectError { () throws(CheckpointError) in try file.floats("pooler.dense.weight") }
        XCTAssertEqual(unrelated?.reason, .missingTensor(similar: []))
        assertMentions(unrelated!.description, [url.path, "pooler.dense.weight", "no tensor"])
    }

    func testShapeAndBufferMismatchesAreErrors() throws {
        var writer = SafeTensorsWriter()
        writer.add("w", shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
        let folder = try TemporaryFolder()
        let url = folder.url.appending(path: "m.safetensors")
        try writer.write(to: url)
        let file = try SafeTensorsFile(url: url)

        let shape = expectError { () throws(CheckpointError) in try file.floats("w", shape: [3, 2]) }
        XCTAssertEqual(shape?.reason, .shapeMismatch(expected: [3, 2], found: [2, 3]))
        assertMentions(shape!.description, ["\"w\"", "[3, 2]", "[2, 3]"])

        var small = [Float](repeating: 0, count: 5)
        let buffer = expectError { () throws(CheckpointError) in
            var failure: CheckpointError?
            small.withUnsafeMutableBufferPointer { pointer in
                do throws(CheckpointError) { try file.readFloats("w", into: pointer) } catch { failure = error }
            }
            if let failure { throw failure }
        }
        XCTAssertEqual(buffer?.key, "w")
    }

    func testMissingFileAndFolder() throws {
        let folder = try TemporaryFolder()
        let missing = folder.url.appending(path: "nope.safetensors")
        XCTAssertEqual(expectError { () throws(CheckpointError) in try SafeTensorsFile(url: missing) }?.reason, .fileNotFound)
        let notAFile = expectError { () throws(CheckpointError) in try SafeTensorsFile(url: folder.url) }
        XCTAssertEqual(notAFile?.file, folder.url)
    }

    func testInMemoryWeights() throws {
        var weights = InMemoryWeights()
        weights.set("a.weight", shape: [2], values: [1, 2])
        XCTAssertEqual(weights.keys, ["a.weight"])
        XCTAssertEqual(try weights.floats("a.weight", shape: [2]), [1, 2])
        XCTAssertEqual(expectError { () throws(CheckpointError) in try weights.floats("weight") }?.reason,
                       .missingTensor(similar: ["a.weight"]))
    }
}
