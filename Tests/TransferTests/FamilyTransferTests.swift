import BertKit
import Foundation
import TestSupport
import XCTest

/// Heads on every encoder family, laid out as transformers' `…ForSequenceClassification`.
final class FamilyTransferTests: XCTestCase {
    static let families: [(folder: String, architecture: String, headKeys: [String])] = [
        ("albert", "AlbertForSequenceClassification", ["albert.pooler.weight", "classifier.weight"]),
        ("distilbert", "DistilBertForSequenceClassification", ["pre_classifier.weight", "classifier.weight"]),
        ("roberta", "RobertaForSequenceClassification", ["classifier.dense.weight", "classifier.out_proj.weight"]),
        ("xlm-roberta", "XLMRobertaForSequenceClassification", ["classifier.dense.weight", "classifier.out_proj.weight"]),
        ("electra", "ElectraForSequenceClassification", ["classifier.dense.weight", "classifier.out_proj.weight"]),
    ]

    func folder(_ name: String) throws -> URL {
        // The family's weights and config with the tiny task's vocabulary.
        let source = TestPaths.packageRoot.appending(path: "Tests/ModelsTests/Fixtures/\(name)")
        let dir = FileManager.default.temporaryDirectory.appending(path: "bertkit-family-\(name)-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for file in try FileManager.default.contentsOfDirectory(atPath: source.path) where file.hasSuffix(".json") || file.hasSuffix(".safetensors") {
            if file == "expected.safetensors" { continue }
            try FileManager.default.copyItem(at: source.appending(path: file), to: dir.appending(path: file))
        }
        try? FileManager.default.removeItem(at: dir.appending(path: "tokenizer.json"))
        try FileManager.default.copyItem(at: try TinyTask.folder().appending(path: "vocab.txt"), to: dir.appending(path: "vocab.txt"))
        return dir
    }

    func testEveryFamilyTrainsSavesAndReloads() throws {
        for (name, architecture, headKeys) in Self.families {
            let dir = try folder(name)
            defer { try? FileManager.default.removeItem(at: dir) }
            let head = HeadSettings(task: .classification, labels: ["negative", "positive"], pooling: .pooler)
            let model = try TransferModel.pretrained(dir.path, head: head, mode: .fineTuning, seed: 1)
            for key in headKeys { XCTAssertNotNil(model.store[key], "\(name): \(key)") }
            XCTAssertEqual(model.architecture, architecture)
            let tokenizer = try Tokenizer.load(directory: dir)
            let train = try PreparedData.sequences(TinyTask.dataset(count: 16, seed: 1), head: head, tokenizer: tokenizer, maxLength: 16)
            var options = TrainingOptions()
            options.epochs = 1
            options.batchSize = 8
            let result = try Trainer(model: model, options: options).fit(train: train, dev: nil)
            XCTAssertEqual(result.history.steps.count, 2, name)

            let out = dir.appending(path: "saved")
            try model.save(to: out, tokenizerFrom: dir, maxLength: 16)
            let config = try JSONConfig(contentsOf: out.appending(path: "config.json"))
            XCTAssertEqual(try config.stringsIfPresent("architectures"), [architecture])
            let (loaded, _) = try TransferModel.load(out)
            XCTAssertEqual(try Evaluator(model: loaded).predict(train), try Evaluator(model: model).predict(train), name)
            // A frozen encoder of any family: only the head trains.
            let frozen = try TransferModel.pretrained(dir.path, head: HeadSettings(task: .classification, labels: ["a", "b"]), mode: .featureExtraction)
            XCTAssertTrue(frozen.encoderIsFrozen, name)
            XCTAssertEqual(frozen.summary().trainableParameters, frozen.config.hiddenSize * 2 + 2, name)
        }
    }

    func testFreezingTheLowestLayersOfAlbertFreezesTheirSharedGroup() throws {
        // 4 layers in 2 groups: layers 0-1 run group 0, layers 2-3 group 1.
        let dir = try folder("albert-groups")
        defer { try? FileManager.default.removeItem(at: dir) }
        let head = HeadSettings(task: .classification, labels: ["a", "b"])
        func trainable(freezing n: Int?) throws -> Set<String> {
            let model = try TransferModel.pretrained(dir.path, head: head, mode: .fineTuning, freeze: FreezeSpec(lowestLayers: n))
            return Set(model.store.parameters.filter(\.trainable).map(\.name))
        }
        XCTAssertTrue(try trainable(freezing: nil).contains { $0.hasPrefix("albert.embeddings.") })
        let zero = try trainable(freezing: 0)
        XCTAssertFalse(zero.contains { $0.hasPrefix("albert.embeddings.") })
        XCTAssertFalse(zero.contains { $0.hasPrefix("albert.encoder.embedding_hidden_mapping_in.") })
        XCTAssertTrue(zero.contains { $0.hasPrefix("albert.encoder.albert_layer_groups.0.") })
        let one = try trainable(freezing: 1)
        XCTAssertFalse(one.contains { $0.hasPrefix("albert.encoder.albert_layer_groups.0.") })
        XCTAssertTrue(one.contains { $0.hasPrefix("albert.encoder.albert_layer_groups.1.") })
        XCTAssertEqual(try trainable(freezing: 2), one, "layer 1 runs group 0 too")
        let three = try trainable(freezing: 3)
        XCTAssertFalse(three.contains { $0.hasPrefix("albert.encoder.") })
        XCTAssertTrue(three.contains { $0.hasPrefix("classifier.") })
    }
}
