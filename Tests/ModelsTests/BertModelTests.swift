import Checkpoints
import Foundation
import Layers
import Models
import Tensor
import TestSupport
import XCTest

/// BERT against transformers' outputs (fixtures from scripts/fixtures/bert_fixtures.py).
final class BertModelTests: XCTestCase {
    static let fixtures = TestPaths.packageRoot.appending(path: "Tests/ModelsTests/Fixtures")

    func expected(_ file: String) throws -> SafeTensorsFile {
        try SafeTensorsFile(url: Self.fixtures.appending(path: file))
    }

    func input(from file: SafeTensorsFile) throws -> EncoderInput {
        func ids(_ key: String) throws -> IDTensor {
            IDTensor(shape: try file.tensorInfo(key).shape, ids: try file.int64s(key).map { Int32($0) })
        }
        return EncoderInput(inputIds: try ids("input_ids"), attentionMask: try ids("attention_mask"),
                            tokenTypeIds: try ids("token_type_ids"))
    }

    func testTinyBertMatchesTransformers() throws {
        let model = try EncoderModel.load(folder: Self.fixtures.appending(path: "tiny-bert"))
        let file = try expected("tiny-bert/expected.safetensors")
        let output = try model(try input(from: file), context: ForwardContext(outputsHiddenStates: true, outputsAttentions: true))
        assertClose(output.lastHiddenState.scalars, try file.floats("last_hidden_state"), tolerance: 1e-5, "last_hidden_state")
        assertClose(output.poolerOutput!.scalars, try file.floats("pooler_output"), tolerance: 1e-5, "pooler_output")
        XCTAssertEqual(output.hiddenStates?.count, 3)
        for (i, h) in (output.hiddenStates ?? []).enumerated() {
            assertClose(h.scalars, try file.floats("hidden_states.\(i)"), tolerance: 1e-5, "hidden_states.\(i)")
        }
        for (i, a) in (output.attentions ?? []).enumerated() {
            assertClose(a.scalars, try file.floats("attentions.\(i)"), tolerance: 1e-5, "attentions.\(i)")
        }
    }

    func testKeysUnderBertPrefixLoadAndHeadsAreReportedUnexpected() throws {
        let folder = Self.fixtures.appending(path: "tiny-bert-seqcls")
        let config = try BertConfig(contentsOf: folder.appending(path: "config.json"))
        let model = EncoderModel(config)
        let report = try model.store.load(from: try SafeTensorsCheckpoint(contentsOf: folder), keyPrefixes: ["", "bert."])
        XCTAssertEqual(report.prefix, "bert.")
        XCTAssertEqual(report.unexpectedKeys, ["classifier.bias", "classifier.weight"])
        let reference = try EncoderModel.load(folder: Self.fixtures.appending(path: "tiny-bert"))
        let file = try expected("tiny-bert/expected.safetensors")
        let a = try withNoGrad { try model(try input(from: file)).lastHiddenState.scalars }
        let b = try withNoGrad { try reference(try input(from: file)).lastHiddenState.scalars }
        XCTAssertEqual(a, b)
    }

    func testExtractLayersKeepsOnlyTheLowerLayers() throws {
        let model = try EncoderModel.load(folder: Self.fixtures.appending(path: "tiny-bert"), layers: 1)
        XCTAssertEqual(model.layers.count, 1)
        XCTAssertNil(model.store["encoder.layer.1.output.dense.weight"])
        let file = try expected("tiny-bert/expected.safetensors")
        let output = try withNoGrad { try model(try input(from: file)) }
        assertClose(output.lastHiddenState.scalars, try file.floats("hidden_states.1"), tolerance: 1e-5)
    }

    func testMissingWeightIsAnErrorNamingTheKey() throws {
        let folder = Self.fixtures.appending(path: "tiny-bert")
        let config = try BertConfig(contentsOf: folder.appending(path: "config.json"))
        var bigger = config
        bigger.numHiddenLayers = 3
        let model = EncoderModel(bigger)
        XCTAssertThrowsError(try model.store.load(from: try SafeTensorsCheckpoint(contentsOf: folder))) { error in
            XCTAssertTrue("\(error)".contains("encoder.layer.2.attention.self.query.weight"), "\(error)")
        }
    }

    func testTooLongInputAndBadIdsAreErrors() throws {
        let model = try EncoderModel.load(folder: Self.fixtures.appending(path: "tiny-bert"))
        let long = EncoderInput(inputIds: IDTensor(Array(repeating: 5, count: 65)))
        XCTAssertThrowsError(try model(long)) { error in
            XCTAssertEqual(error as? ModelError, .sequenceTooLong(length: 65, maximum: 64))
            XCTAssertTrue("\(error)".contains("max_position_embeddings"))
        }
        XCTAssertThrowsError(try model(EncoderInput(inputIds: IDTensor([2, 99, 3])))) { error in
            XCTAssertEqual(error as? ModelError, .idOutOfRange(id: 99, vocabularySize: 99, position: 1))
        }
    }

    /// all-MiniLM-L6-v2 from the PyPI package, against transformers and sentence-transformers.
    func testMiniLMMatchesTransformersAndSentenceTransformers() throws {
        let folder = try TestPaths.demoModel()
        let model = try EncoderModel.load(folder: folder)
        let file = try expected("minilm-expected.safetensors")
        let batch = try input(from: file)
        let output = try withNoGrad { try model(batch) }
        XCTAssertEqual(output.lastHiddenState.shape, try file.tensorInfo("last_hidden_state").shape)
        assertClose(output.lastHiddenState.scalars, try file.floats("last_hidden_state"), tolerance: 1e-4, "last_hidden_state")
        assertClose(output.poolerOutput!.scalars, try file.floats("pooler_output"), tolerance: 1e-4, "pooler_output")
        let settings = try SentenceTransformerConfig.load(from: folder)
        XCTAssertEqual(Pooling.default(for: settings), .mean)
        XCTAssertEqual(settings?.normalize, true)
        let embeddings = withNoGrad { Pooling.mean(output.lastHiddenState, mask: batch.maskTensor).l2Normalized() }
        assertClose(embeddings.scalars, try file.floats("sentence_embeddings"), tolerance: 1e-5, "sentence embeddings")
    }
}

/// The same tiny BERT saved by torch as pytorch_model.bin (read by the restricted unpickler).
final class PyTorchCheckpointModelTests: XCTestCase {
    func testBinCheckpointGivesTheSameOutputsAsSafetensors() throws {
        let bin = TestPaths.packageRoot.appending(path: "Tests/CheckpointsTests/Fixtures/pytorch/tiny-bert")
        let folder = FileManager.default.temporaryDirectory.appending(path: "bertkit-bin-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.removeItem(at: folder)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(at: bin.appending(path: "pytorch_model.bin"), to: folder.appending(path: "pytorch_model.bin"))
        try FileManager.default.copyItem(at: BertModelTests.fixtures.appending(path: "tiny-bert/config.json"), to: folder.appending(path: "config.json"))
        let fromBin = try EncoderModel.load(folder: folder)
        let fromSafetensors = try EncoderModel.load(folder: BertModelTests.fixtures.appending(path: "tiny-bert"))
        let input = EncoderInput(inputIds: IDTensor([2, 17, 45, 98, 3]))
        let a = try withNoGrad { try fromBin(input) }, b = try withNoGrad { try fromSafetensors(input) }
        XCTAssertEqual(a.lastHiddenState.scalars, b.lastHiddenState.scalars)
        XCTAssertEqual(a.poolerOutput?.scalars, b.poolerOutput?.scalars)
    }
}
