import BertKit
@_spi(Testing) import Tensor
import Foundation
import TestSupport
import XCTest

final class TransferModelTests: XCTestCase {
    let labels = ["negative", "positive"]

    func model(_ mode: TransferMode, pooling: HeadPooling = .mean, hidden: Int? = nil, seed: UInt64 = 0) throws -> TransferModel {
        try TransferModel.pretrained(try TinyTask.folder().path, head: HeadSettings(task: .classification, labels: labels, pooling: pooling, hiddenSize: hidden),
                                     mode: mode, seed: seed)
    }

    func testModesParse() throws {
        XCTAssertEqual(try TransferMode(parsing: "frozen"), .featureExtraction)
        XCTAssertEqual(try TransferMode(parsing: "finetune"), .fineTuning)
        XCTAssertEqual(try TransferMode(parsing: "layers:3"), .extractLayers(3, frozen: false))
        XCTAssertEqual(try TransferMode(parsing: "layers:2:frozen"), .extractLayers(2, frozen: true))
        XCTAssertThrowsError(try TransferMode(parsing: "layers:x")) { XCTAssertTrue("\($0)".contains("layers:x")) }
        XCTAssertEqual(try FeatureSource(parsing: "layer:4"), .layer(4))
    }

    /// The acceptance numbers for all-MiniLM-L6-v2: counts equal PyTorch's for the same configuration.
    func testMiniLMSummaryTotals() throws {
        let folder = try TestPaths.demoModel()
        let config = try BertConfig(contentsOf: folder.appending(path: "config.json"))
        let head = HeadSettings(task: .classification, labels: labels, pooling: .mean)
        let frozen = try TransferModel(config: config, head: head, mode: .featureExtraction).summary()
        XCTAssertEqual(frozen.trainableParameters, 770)
        XCTAssertEqual(frozen.nonTrainableParameters, 22_565_376)
        XCTAssertTrue(frozen.description.contains("Total params: 22,566,146"))
        XCTAssertTrue(frozen.description.contains("Trainable params: 770"))
        XCTAssertTrue(frozen.description.contains("Non-trainable params: 22,565,376"))
        var withPooler = head
        withPooler.pooling = .pooler
        XCTAssertEqual(try TransferModel(config: config, head: withPooler, mode: .featureExtraction).summary().nonTrainableParameters, 22_713_216)
        let layers3 = try TransferModel(config: config, head: head, mode: .extractLayers(3, frozen: false)).summary()
        XCTAssertEqual(layers3.totalParameters - 770, 17_241_984)
        XCTAssertEqual(layers3.nonTrainableParameters, 0)
        XCTAssertEqual(ModelSummary(encoder: try EncoderModel.load(folder: folder)).totalParameters, 22_713_216)
    }

    func testPartialFreezing() throws {
        let folder = try TinyTask.folder()
        let config = try BertConfig(contentsOf: folder.appending(path: "config.json"))
        let m = try TransferModel(config: config, head: HeadSettings(task: .classification, labels: labels), mode: .fineTuning,
                                  freeze: FreezeSpec(lowestLayers: 1, prefixes: ["classifier.bias"]))
        XCTAssertFalse(m.store["bert.embeddings.word_embeddings.weight"]!.trainable)
        XCTAssertFalse(m.store["bert.encoder.layer.0.output.dense.weight"]!.trainable)
        XCTAssertTrue(m.store["bert.encoder.layer.1.output.dense.weight"]!.trainable)
        XCTAssertFalse(m.store["classifier.bias"]!.trainable)
        XCTAssertTrue(m.summary().description.contains("No"))
    }

    /// Feature extraction: one training step runs only the head's backward closures.
    func testFrozenEncoderDoesNoBackwardWork() throws {
        let m = try model(.featureExtraction)
        let tokenizer = try Tokenizer.load(directory: TinyTask.folder())
        let data = try PreparedData.sequences(TinyTask.dataset(count: 8, seed: 1), head: m.head, tokenizer: tokenizer, maxLength: 16)
        let input = EncoderInput(encodings: data.encodings)
        let loss = m.loss(logits: try m.logits(input, context: .training(RandomStream(seed: 0))), targets: .classes(IDTensor(shape: [8], ids: [1, 0, 1, 0, 1, 0, 1, 0])))
        WorkCounters.start()
        loss.backward()
        // The dropout before the classifier reads only frozen features, so it records nothing either.
        XCTAssertEqual(Set(WorkCounters.backward.keys), ["cross_entropy", "linear"])
        XCTAssertEqual(WorkCounters.products, 1, "only the classifier's weight gradient")
        XCTAssertTrue(m.store.parameters(under: "bert.").allSatisfy { $0.grad == nil })
        XCTAssertNotNil(m.classifier.weight.grad)
    }

    func testInvalidHeadSettingsAreErrors() throws {
        let folder = try TinyTask.folder()
        let config = try BertConfig(contentsOf: folder.appending(path: "config.json"))
        XCTAssertThrowsError(try TransferModel(config: config, head: HeadSettings(task: .classification, labels: labels), mode: .extractLayers(5, frozen: false))) {
            XCTAssertTrue("\($0)".contains("layers:5"), "\($0)")
        }
        XCTAssertThrowsError(try TransferModel(config: config, head: HeadSettings(task: .classification, labels: labels, pooling: .pooler, features: .sumLastFour), mode: .fineTuning))
        XCTAssertThrowsError(try TransferModel(config: config, head: HeadSettings(task: .classification, labels: ["one"]), mode: .fineTuning))
    }
}
