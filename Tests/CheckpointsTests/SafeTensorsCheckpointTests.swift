import Foundation
import XCTest
@testable import Checkpoints

final class SafeTensorsCheckpointTests: XCTestCase {
    /// Writes two shards and their index into `folder`.
    func writeShardedCheckpoint(in folder: TemporaryFolder, index: String? = nil) throws {
        var first = SafeTensorsWriter()
        first.add("embeddings.word_embeddings.weight", shape: [2, 2], values: [1, 2, 3, 4])
        first.add("embeddings.position_ids", shape: [1], values: [0])  // a float here; the dtype test is elsewhere
        try first.write(to: folder.url.appending(path: "model-00001-of-00002.safetensors"))
        var second = SafeTensorsWriter()
        second.add("encoder.layer.0.output.dense.bias", shape: [2], values: [5, 6])
        second.add("unlisted", shape: [1], values: [9])
        try second.write(to: folder.url.appending(path: "model-00002-of-00002.safetensors"))
        try folder.write("model.safetensors.index.json", index ?? """
            {
              "metadata": {"total_size": 28},
              "weight_map": {
                "embeddings.word_embeddings.weight": "model-00001-of-00002.safetensors",
                "embeddings.position_ids": "model-00001-of-00002.safetensors",
                "encoder.layer.0.output.dense.bias": "model-00002-of-00002.safetensors"
              }
            }
            """)
    }

    func testShardedCheckpointMergesKeys() throws {
        let folder = try TemporaryFolder()
        try writeShardedCheckpoint(in: folder)
        let checkpoint = try SafeTensorsCheckpoint(contentsOf: folder.url)
        XCTAssertEqual(checkpoint.files.count, 2)
        XCTAssertEqual(checkpoint.keys, ["embeddings.position_ids", "embeddings.word_embeddings.weight",
                                         "encoder.layer.0.output.dense.bias"])
        XCTAssertEqual(try checkpoint.floats("embeddings.word_embeddings.weight", shape: [2, 2]), [1, 2, 3, 4])
        XCTAssertEqual(try checkpoint.floats("encoder.layer.0.output.dense.bias"), [5, 6])
        XCTAssertEqual(checkpoint.file(containing: "encoder.layer.0.output.dense.bias")?.lastPathComponent,
                       "model-00002-of-00002.safetensors")
        let missing = expectError { () throws(CheckpointError) in try checkpoint.floats("pooler.dense.weight") }
        XCTAssertEqual(missing?.file?.lastPathComponent, "model.safetensors.index.json")
        XCTAssertFalse(checkpoint.contains("unlisted"), "the index is authoritative")

        // The index can also be opened directly.
        let direct = try SafeTensorsCheckpoint(contentsOf: folder.url.appending(path: "model.safetensors.index.json"))
        XCTAssertEqual(direct.keys, checkpoint.keys)
    }

    func testSingleFileIsPreferredOverIndex() throws {
        let folder = try TemporaryFolder()
        try writeShardedCheckpoint(in: folder)
        var single = SafeTensorsWriter()
        single.add("only", shape: [1], values: [3])
        try single.write(to: folder.url.appending(path: "model.safetensors"))
        let checkpoint = try SafeTensorsCheckpoint(contentsOf: folder.url)
        XCTAssertEqual(checkpoint.keys, ["only"])
        XCTAssertEqual(try SafeTensorsCheckpoint(contentsOf: folder.url.appending(path: "model.safetensors")).keys, ["only"])
    }

    func testBadIndexesAreTypedErrors() throws {
        let cases: [(name: String, index: String, key: String?, mentions: [String])] = [
            ("not JSON", "{\"weight_map\": ", nil, ["invalid JSON"]),
            ("no weight_map", "{\"metadata\": {}}", "weight_map", ["missing"]),
            ("weight_map not an object", "{\"weight_map\": [1]}", "weight_map", ["an array"]),
            ("shard name not a string", "{\"weight_map\": {\"a\": 3}}", "weight_map.a", ["shard file name"]),
            ("shard escapes the folder", "{\"weight_map\": {\"a\": \"../x.safetensors\"}}", "weight_map.a", ["same folder"]),
            ("shard missing", "{\"weight_map\": {\"a\": \"model-00009.safetensors\"}}", "weight_map", ["model-00009.safetensors", "missing"]),
            ("tensor not in its shard",
             "{\"weight_map\": {\"encoder.layer.0.output.dense.bias\": \"model-00001-of-00002.safetensors\"}}",
             "encoder.layer.0.output.dense.bias", ["model-00001-of-00002.safetensors"]),
        ]
        for test in cases {
            let folder = try TemporaryFolder()
            try writeShardedCheckpoint(in: folder, index: test.index)
            guard let error = expectError({ () throws(CheckpointError) in try SafeTensorsCheckpoint(contentsOf: folder.url) }) else {
                XCTFail(test.name)
                continue
            }
            XCTAssertEqual(error.file?.lastPathComponent, "model.safetensors.index.json", test.name)
            XCTAssertEqual(error.key, test.key, test.name)
            assertMentions(error.description, test.mentions)
        }
    }

    /// The hub cache keeps files in blobs/ and links them from snapshots/<hash>/.
    func testSymlinkedHubSnapshotFiles() throws {
        let folder = try TemporaryFolder()
        var writer = SafeTensorsWriter()
        writer.add("pooler.dense.bias", shape: [2], values: [0.5, -0.5])
        let blob = folder.url.appending(path: "models--org--model/blobs/0a1b2c")
        try writer.write(to: blob)
        try folder.write("models--org--model/refs/main", "abc")
        let snapshot = try folder.makeFolder("models--org--model/snapshots/abc")
        try FileManager.default.createSymbolicLink(atPath: snapshot.appending(path: "model.safetensors").path,
                                                   withDestinationPath: "../../blobs/0a1b2c")
        let resolved = try ModelLocation.resolve("org/model", environment: ["HF_HUB_CACHE": folder.url.path])
        XCTAssertEqual(try SafeTensorsCheckpoint(contentsOf: resolved).floats("pooler.dense.bias"), [0.5, -0.5])
    }

    func testFolderWithoutSafetensorsExplainsWhatItFound() throws {
        let folder = try TemporaryFolder()
        try folder.write("pytorch_model.bin", "not really")
        try folder.write("config.json", "{}")
        let error = expectError { () throws(CheckpointError) in try SafeTensorsCheckpoint(contentsOf: folder.url) }
        XCTAssertEqual(error?.file, folder.url)
        assertMentions(error?.description ?? "", ["model.safetensors", "pytorch_model.bin", "save_file"])

        let missing = folder.url.appending(path: "nothing-here")
        XCTAssertEqual(expectError { () throws(CheckpointError) in try SafeTensorsCheckpoint(contentsOf: missing) }?.reason,
                       .fileNotFound)
    }
}
