import Foundation
import XCTest
@testable import Checkpoints

/// PyTorch checkpoints written by torch.save (scripts/fixtures/pytorch_bin_fixtures.py) read
/// exactly as torch reads them.
final class PyTorchFileTests: XCTestCase {
    /// Float values that must be equal bit for bit (0 and -0 differ, NaN equals itself).
    func assertBitwiseEqual(_ a: [Float], _ b: [Float], _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.map(\.bitPattern), b.map(\.bitPattern), message, file: file, line: line)
    }

    func testTinyBertEqualsItsSafetensors() throws {
        let bin = try PyTorchFile(url: PyTorchFixtures.url("tiny-bert/pytorch_model.bin"))
        let reference = try SafeTensorsFile(url: PyTorchFixtures.tinyBertSafetensors)
        XCTAssertEqual(bin.keys, reference.keys)
        XCTAssertEqual(bin.keys.count, 39)
        for key in reference.keys {
            let expected = try XCTUnwrap(reference.info(key))
            let info = try XCTUnwrap(bin.info(key))
            XCTAssertEqual(info.dtype, expected.dtype, key)
            XCTAssertEqual(info.shape, expected.shape, key)
            XCTAssertEqual(info.dataOffsets.count, expected.dataOffsets.count, key)
            assertBitwiseEqual(try bin.floats(key), try reference.floats(key), key)
        }
    }

    func testHalfPrecisionVariantsEqualTheRoundedFloats() throws {
        let reference = try SafeTensorsFile(url: PyTorchFixtures.tinyBertSafetensors)
        let variants: [(file: String, dtype: DType, round: (Float) -> Float)] = [
            ("tiny-bert-f16.bin", .float16, { Float(Float16($0)) }),
            ("tiny-bert-bf16.bin", .bfloat16, Self.roundedToBFloat16),
        ]
        for variant in variants {
            let bin = try PyTorchFile(url: PyTorchFixtures.url(variant.file))
            XCTAssertEqual(bin.keys, reference.keys, variant.file)
            for key in reference.keys {
                XCTAssertEqual(bin.info(key)?.dtype, variant.dtype, "\(variant.file) \(key)")
                XCTAssertEqual(bin.info(key)?.shape, reference.info(key)?.shape, "\(variant.file) \(key)")
                assertBitwiseEqual(try bin.floats(key), try reference.floats(key).map(variant.round), "\(variant.file) \(key)")
            }
        }
    }

    /// Float to bfloat16 to Float, rounding to nearest even as torch does (no NaNs here).
    private static func roundedToBFloat16(_ value: Float) -> Float {
        let bits = value.bitPattern
        let rounded = bits &+ 0x7FFF &+ ((bits >> 16) & 1)
        return Float(bitPattern: rounded & 0xFFFF_0000)
    }

    /// views.json: each tensor's dtype, shape and row-major values, as torch computed them.
    struct Expected {
        var dtype: String
        var shape: [Int]
        var values: [Double]
    }

    func expectedViews() throws -> [String: Expected] {
        let json = try JSONValue.parse(Data(contentsOf: PyTorchFixtures.url("views.json")))
        var result: [String: Expected] = [:]
        for (name, entry) in try XCTUnwrap(json.objectValue) {
            let object = try XCTUnwrap(entry.objectValue)
            result[name] = Expected(
                dtype: try XCTUnwrap(object["dtype"]?.stringValue),
                shape: try XCTUnwrap(object["shape"]?.arrayValue).map { try XCTUnwrap($0.intValue) },
                values: try XCTUnwrap(object["values"]?.arrayValue).map { try XCTUnwrap($0.doubleValue) })
        }
        return result
    }

    func testStridedViewsSharedStoragesAndDTypes() throws {
        let expected = try expectedViews()
        let dtypes: [String: DType] = ["float32": .float32, "float64": .float64, "float16": .float16,
                                       "int64": .int64, "bool": .bool, "uint16": .uint16]
        for name in ["views.bin", "views-deflated.bin", "views-legacy.bin"] {
            let file = try PyTorchFile(url: PyTorchFixtures.url(name))
            // The legacy format predates uint16 tensors.
            let expected = name == "views-legacy.bin" ? expected.filter { $0.key != "uint16" } : expected
            XCTAssertEqual(file.keys, expected.keys.sorted(), name)
            for (key, tensor) in expected {
                let info = try XCTUnwrap(file.info(key), "\(name) \(key)")
                XCTAssertEqual(info.dtype, dtypes[tensor.dtype], "\(name) \(key)")
                XCTAssertEqual(info.shape, tensor.shape, "\(name) \(key)")
                if info.dtype.isReadableAsFloat {
                    XCTAssertEqual(try file.floats(key).map(Double.init), tensor.values, "\(name) \(key)")
                } else {
                    XCTAssertEqual(try file.int64s(key).map(Double.init), tensor.values, "\(name) \(key)")
                    let error = expectError { () throws(CheckpointError) in try file.floats(key) }
                    XCTAssertEqual(error?.reason, .notFloatingPoint(info.dtype), "\(name) \(key)")
                }
            }
            XCTAssertEqual(file.strides("transposed"), [1, 6])
            XCTAssertEqual(file.strides("sliced"), [6, 2])
            XCTAssertEqual(file.strides("expanded"), [0, 1])
            XCTAssertEqual(file.strides("column"), [6, 0], "a dimension of size 1 has no step")
            XCTAssertEqual(file.info("sliced")?.dataOffsets, (6 * 4)..<(23 * 4), "from the first element to the last")
            XCTAssertEqual(file.info("shared.tail")?.dataOffsets, (6 * 4)..<(10 * 4))
            XCTAssertFalse(file.floatKeys.contains("position_ids"))
            XCTAssertTrue(file.floatKeys.contains("scalar"))
            XCTAssertNoThrow(try file.verifyChecksums(), name)
        }
    }

    func testShardedCheckpoint() throws {
        let folder = PyTorchFixtures.url("sharded")
        let checkpoint = try PyTorchCheckpoint(contentsOf: folder)
        XCTAssertEqual(checkpoint.files.count, 2)
        XCTAssertEqual(checkpoint.keys, ["embeddings.word_embeddings.weight", "pooler.dense.bias"])
        XCTAssertEqual(try checkpoint.floats("embeddings.word_embeddings.weight", shape: [3, 2]), [0, 1, 2, 3, 4, 5])
        XCTAssertEqual(try checkpoint.floats("pooler.dense.bias"), [0.5, -1.5])
        XCTAssertEqual(checkpoint.file(containing: "pooler.dense.bias")?.lastPathComponent, "pytorch_model-00002-of-00002.bin")
        let missing = expectError { () throws(CheckpointError) in try checkpoint.floats("pooler.dense.weight") }
        XCTAssertEqual(missing?.file?.lastPathComponent, "pytorch_model.bin.index.json")
        XCTAssertEqual(missing?.reason, .missingTensor(similar: ["pooler.dense.bias"]))
        XCTAssertNoThrow(try checkpoint.verifyChecksums())

        let opened = try Checkpoint.open(folder)
        XCTAssertTrue(opened is PyTorchCheckpoint)
        XCTAssertEqual(opened.keys, checkpoint.keys)
    }

    func testShardIndexNamingAMissingShard() throws {
        let temporary = try TemporaryFolder()
        try FileManager.default.copyItem(
            at: PyTorchFixtures.url("sharded/pytorch_model-00001-of-00002.bin"),
            to: temporary.url.appending(path: "pytorch_model-00001-of-00002.bin"))
        try FileManager.default.copyItem(
            at: PyTorchFixtures.url("sharded/pytorch_model.bin.index.json"),
            to: temporary.url.appending(path: "pytorch_model.bin.index.json"))
        let error = expectError { () throws(CheckpointError) in try PyTorchCheckpoint(contentsOf: temporary.url) }
        XCTAssertEqual(error?.file?.lastPathComponent, "pytorch_model.bin.index.json")
        assertMentions(error?.description ?? "", ["pytorch_model-00002-of-00002.bin", "missing"])
    }

    func testCheckpointOpenPrefersSafetensors() throws {
        let temporary = try TemporaryFolder()
        let folder = temporary.url
        let error = expectError { () throws(CheckpointError) in try Checkpoint.open(folder) }
        assertMentions(error?.description ?? "", ["model.safetensors", "pytorch_model.bin"])

        try FileManager.default.copyItem(at: PyTorchFixtures.url("tiny-bert/pytorch_model.bin"),
                                         to: folder.appending(path: "pytorch_model.bin"))
        let bin = try Checkpoint.open(folder)
        XCTAssertTrue(bin is PyTorchCheckpoint)
        XCTAssertEqual(bin.file(containing: "pooler.dense.bias")?.lastPathComponent, "pytorch_model.bin")

        try FileManager.default.copyItem(at: PyTorchFixtures.tinyBertSafetensors, to: folder.appending(path: "model.safetensors"))
        let preferred = try Checkpoint.open(folder)
        XCTAssertTrue(preferred is SafeTensorsCheckpoint, "safetensors wins when both are present")
        XCTAssertEqual(preferred.keys, bin.keys)
        XCTAssertEqual(try preferred.floats("pooler.dense.weight"), try bin.floats("pooler.dense.weight"))

        // Files are opened by their kind; a zip archive by any name is a PyTorch checkpoint.
        XCTAssertTrue(try Checkpoint.open(folder.appending(path: "pytorch_model.bin")) is PyTorchCheckpoint)
        XCTAssertTrue(try Checkpoint.open(folder.appending(path: "model.safetensors")) is SafeTensorsCheckpoint)
        try FileManager.default.copyItem(at: PyTorchFixtures.url("views.bin"), to: folder.appending(path: "weights.ckpt"))
        XCTAssertTrue(try Checkpoint.open(folder.appending(path: "weights.ckpt")) is PyTorchCheckpoint)
        let absent = expectError { () throws(CheckpointError) in try Checkpoint.open(folder.appending(path: "nothing")) }
        XCTAssertEqual(absent?.reason, .fileNotFound)
    }

    func testFilesAreReadConcurrently() async throws {
        let file = try PyTorchFile(url: PyTorchFixtures.url("tiny-bert/pytorch_model.bin"))
        let sums = try await withThrowingTaskGroup(of: (String, Float).self) { group in
            for key in file.floatKeys {
                group.addTask { (key, try file.floats(key).reduce(0, +)) }
            }
            return try await group.reduce(into: [String: Float]()) { $0[$1.0] = $1.1 }
        }
        XCTAssertEqual(sums.count, file.floatKeys.count)
        for (key, sum) in sums {
            XCTAssertEqual(sum, try file.floats(key).reduce(0, +), key)
        }
    }
}
