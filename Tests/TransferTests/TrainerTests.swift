import BertKit
import Foundation
import TestSupport
@testable import Transfer
import XCTest

final class TrainerTests: XCTestCase {
    let labels = ["negative", "positive"]

    func setUpTask(_ mode: TransferMode, pooling: HeadPooling = .mean) throws -> (TransferModel, PreparedData, PreparedData) {
        let head = HeadSettings(task: .classification, labels: labels, pooling: pooling)
        let model = try TransferModel.pretrained(try TinyTask.folder().path, head: head, mode: mode, seed: 3)
        let tokenizer = try Tokenizer.load(directory: TinyTask.folder())
        let train = try PreparedData.sequences(TinyTask.dataset(count: 40, seed: 1), head: head, tokenizer: tokenizer, maxLength: 16)
        let dev = try PreparedData.sequences(TinyTask.dataset(count: 20, seed: 2), head: head, tokenizer: tokenizer, maxLength: 16)
        return (model, train, dev)
    }

    func options(epochs: Int = 2) -> TrainingOptions {
        var o = TrainingOptions()
        o.epochs = epochs
        o.batchSize = 4
        o.learningRate = 1e-3
        o.seed = 5
        return o
    }

    func tempDir(_ name: String) -> URL {
        let url = FileManager.default.temporaryDirectory.appending(path: "bertkit-\(name)-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.removeItem(at: url)
        return url
    }

    func testFineTuningLearnsTheTask() throws {
        let (model, train, dev) = try setUpTask(.fineTuning)
        var o = options(epochs: 8)
        o.learningRate = 3e-3
        let result = try Trainer(model: model, options: o).fit(train: train, dev: dev)
        let losses = result.history.steps.map(\.loss)
        XCTAssertLessThan(losses.suffix(5).reduce(0, +) / 5, losses.prefix(5).reduce(0, +) / 5)
        guard case .classification(let m) = result.devMetrics else { return XCTFail("no metrics") }
        XCTAssertGreaterThanOrEqual(m.accuracy, 0.9, "the tiny task is learnable")
        XCTAssertEqual(result.history.evaluations.count, 8)
    }

    func testDivergenceStopsBeforeAnyWeightTurnsNaN() throws {
        let (model, train, _) = try setUpTask(.fineTuning)
        var o = options(epochs: 3)
        o.learningRate = 1e30
        let dir = tempDir("diverge")
        defer { try? FileManager.default.removeItem(at: dir) }
        o.checkpointEvery = 1
        XCTAssertThrowsError(try Trainer(model: model, options: o).fit(train: train, dev: nil, checkpoints: dir)) { error in
            XCTAssertTrue("\(error)".contains("training diverged"), "\(error)")
            XCTAssertTrue("\(error)".contains("last good checkpoint"), "\(error)")
        }
        XCTAssertNil(model.firstNonFiniteParameter(), "the step with a non-finite gradient was never applied")
        XCTAssertThrowsError(try TransferModel(config: .bert(BertConfig(vocabSize: 99, hiddenSize: 32, numHiddenLayers: 1, numAttentionHeads: 4,
                                                                        intermediateSize: 8, maxPositionEmbeddings: 16)),
                                               head: HeadSettings(task: .classification, labels: labels), mode: .fineTuning)
            .withNaN().save(to: dir.appending(path: "nan"), tokenizerFrom: nil, maxLength: 8))
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appending(path: "nan/model.safetensors").path))
    }

    /// Finite weights whose outputs overflow (as after a last step at `--lr 1e30`) make a diverged run.
    func testFinalModelWithOverflowingOutputsIsADivergedRun() throws {
        let (model, train, _) = try setUpTask(.fineTuning)
        let trainer = Trainer(model: model, options: options())
        XCTAssertNoThrow(try trainer.checkFiniteOutputs(train, checkpoints: nil))
        model.store["classifier.weight"]!.value.withUnsafeMutableBufferPointer { for i in $0.indices { $0[i] = 3e38 } }
        XCTAssertNil(model.firstNonFiniteParameter())
        XCTAssertThrowsError(try trainer.checkFiniteOutputs(train, checkpoints: nil)) { error in
            XCTAssertTrue("\(error)".contains("training diverged after step 0: the final model's outputs"), "\(error)")
        }
    }

    func testFrozenCachedFeaturesMatchRecomputingTheEncoder() throws {
        var results: [[Float]] = [], devMetrics: [ClassificationMetrics] = []
        for cache in [true, false] {
            let (model, train, dev) = try setUpTask(.featureExtraction)
            var o = options()
            o.cacheFeatures = cache
            let result = try Trainer(model: model, options: o).fit(train: train, dev: dev)
            XCTAssertTrue(model.store.parameters(under: "bert.").allSatisfy { !$0.trainable })
            results.append(model.classifier.weight.value.scalars)
            guard case .classification(let m) = result.devMetrics else { return XCTFail("no dev metrics") }
            devMetrics.append(m)
        }
        assertClose(results[0], results[1], tolerance: 1e-5, "the cache must not change what the head learns")
        // The dev set scored from cached features (the head over batches of rows) and through the encoder.
        XCTAssertEqual(devMetrics[0].confusion, devMetrics[1].confusion)
    }

    /// A run killed mid-epoch and resumed ends with exactly the weights of an uninterrupted run.
    func testResumeMidEpochIsExact() throws {
        let full = tempDir("full"), killed = tempDir("killed")
        defer { try? FileManager.default.removeItem(at: full); try? FileManager.default.removeItem(at: killed) }
        let (a, train, dev) = try setUpTask(.fineTuning)
        _ = try Trainer(model: a, options: options()).fit(train: train, dev: dev, checkpoints: full)

        let (b, _, _) = try setUpTask(.fineTuning)
        var stop = options()
        stop.stopAfterSteps = 13   // 10 batches per epoch: mid second epoch
        let first = try Trainer(model: b, options: stop).fit(train: train, dev: dev, checkpoints: killed)
        XCTAssertTrue(first.stopped)

        let (c, _, _) = try setUpTask(.fineTuning, pooling: .mean)
        let resumed = try Trainer(model: c, options: options()).fit(train: train, dev: dev, checkpoints: killed, resume: true)
        XCTAssertFalse(resumed.stopped)
        XCTAssertEqual(resumed.history.steps.count, 20)
        for (p, q) in zip(a.store.parameters, c.store.parameters) {
            XCTAssertEqual(p.value.scalars, q.value.scalars, "\(p.name) differs after resuming")
        }
    }

    func testResumeWithoutCheckpointIsAnError() throws {
        let (model, train, _) = try setUpTask(.fineTuning)
        XCTAssertThrowsError(try Trainer(model: model, options: options()).fit(train: train, dev: nil, checkpoints: tempDir("none"), resume: true)) {
            XCTAssertTrue("\($0)".contains("no checkpoint"), "\($0)")
        }
    }

    func testSavedModelReloadsWithTheSameLogits() throws {
        let out = tempDir("export")
        defer { try? FileManager.default.removeItem(at: out) }
        let (model, train, dev) = try setUpTask(.extractLayers(1, frozen: false), pooling: .pooler)
        _ = try Trainer(model: model, options: options(epochs: 1)).fit(train: train, dev: dev)
        try model.save(to: out, tokenizerFrom: try TinyTask.folder(), maxLength: 16)
        let (loaded, maxLength) = try TransferModel.load(out)
        XCTAssertEqual(maxLength, 16)
        XCTAssertEqual(loaded.mode, .extractLayers(1, frozen: false))
        XCTAssertEqual(loaded.config.numHiddenLayers, 1)
        let config = try BertConfig(contentsOf: out.appending(path: "config.json"))
        XCTAssertEqual(config.architectures, ["BertForSequenceClassification"])
        XCTAssertEqual(config.id2label, [0: "negative", 1: "positive"])
        let a = try Evaluator(model: model).predict(dev), b = try Evaluator(model: loaded).predict(dev)
        XCTAssertEqual(a, b)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.appending(path: "vocab.txt").path))
    }

    func testEmptyTrainingSetIsAnError() throws {
        let file = FileManager.default.temporaryDirectory.appending(path: "bertkit-empty-\(ProcessInfo.processInfo.processIdentifier).tsv")
        try "text\tlabel\n".write(to: file, atomically: false, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        XCTAssertThrowsError(try TaskData.read(file, task: .classification)) { error in
            XCTAssertTrue("\(error)".contains(file.lastPathComponent), "\(error)")
        }
    }
}

extension TransferModel {
    /// The model with its first weight set to NaN.
    func withNaN() -> TransferModel {
        store.parameters[0].value.withUnsafeMutableBufferPointer { $0[0] = .nan }
        return self
    }
}
