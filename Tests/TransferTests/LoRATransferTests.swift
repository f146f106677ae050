import BertKit
import Checkpoints
import Foundation
import TestSupport
import XCTest

final class LoRATransferTests: XCTestCase {
    let labels = ["negative", "positive"]

    func head(_ pooling: HeadPooling = .pooler) -> HeadSettings {
        HeadSettings(task: .classification, labels: labels, pooling: pooling)
    }

    func tempDir(_ name: String) -> URL {
        let url = FileManager.default.temporaryDirectory.appending(path: "bertkit-lora-\(name)-\(ProcessInfo.processInfo.processIdentifier)")
        try? FileManager.default.removeItem(at: url)
        return url
    }

    func logits(_ model: TransferModel, _ texts: [String]) throws -> [Float] {
        let tokenizer = try Tokenizer.load(directory: TinyTask.folder())
        let data = PreparedData.unlabelled(texts, tokenizer: tokenizer, maxLength: 16)
        return try Evaluator(model: model).predict(data).flatMap { $0.logits[0]! }
    }

    let texts = ["the film was good", "the food is very bad", "not really nice", "a dull film is awful"]

    func testModeParsesAndTrainsOnlyAdaptersAndHead() throws {
        XCTAssertEqual(try TransferMode(parsing: "lora"), .lora)
        XCTAssertEqual(TransferMode.lora.description, "lora")
        XCTAssertEqual(TransferMode.lora.defaultLearningRate, 1e-3, "measured: docs/accuracy.md, LoRA")
        let model = try TransferModel.pretrained(try TinyTask.folder().path, head: head(), mode: .lora)
        XCTAssertEqual(model.adapters.map(\.layer.name), [
            "bert.encoder.layer.0.attention.self.query", "bert.encoder.layer.0.attention.self.value",
            "bert.encoder.layer.1.attention.self.query", "bert.encoder.layer.1.attention.self.value",
        ])
        let trainable = Set(model.store.parameters.filter(\.trainable).map(\.name))
        for (_, adapter) in model.adapters { XCTAssertTrue(trainable.contains(adapter.a.name) && trainable.contains(adapter.b.name)) }
        XCTAssertTrue(trainable.contains("classifier.weight"))
        XCTAssertTrue(trainable.contains("bert.pooler.dense.weight"), "the pooler is part of a pooler head")
        XCTAssertFalse(trainable.contains("bert.encoder.layer.0.attention.self.query.weight"))
        XCTAssertFalse(trainable.contains("bert.embeddings.word_embeddings.weight"))
        // r=8 on 32→32: 2·8·32 per adapter, 4 adapters; the pooler 32·32+32; the classifier 2·32+2.
        XCTAssertEqual(model.store.trainableCount, 4 * 512 + 1056 + 66)

        let summary = model.summary()
        XCTAssertTrue(summary.title.contains("mode: lora"))
        let rows = summary.rows.filter { $0.type == "LoRA: r=8, alpha=16" }
        XCTAssertEqual(rows.map(\.name).first, "bert.encoder.layer.0.attention.self.query.lora")
        XCTAssertEqual(rows.count, 4)
        XCTAssertTrue(rows.allSatisfy { $0.parameters == 512 && $0.trainableParameters == 512 })
        let layer0 = try XCTUnwrap(summary.rows.first { $0.name == "bert.encoder.layer.0" })
        XCTAssertEqual(layer0.trainableParameters, 0, "the layer's own weights stay frozen; its adapters have their own rows")
        XCTAssertEqual(summary.trainableParameters, model.store.trainableCount)
        XCTAssertEqual(summary.totalParameters, model.store.totalCount)
    }

    func testTargetsAndSettingsAreChecked() throws {
        let folder = try TinyTask.folder().path
        let model = try TransferModel.pretrained(folder, head: head(.mean), mode: .lora,
                                                 lora: LoRASettings(rank: 2, alpha: 4, targets: ["key", "output.dense"]))
        XCTAssertEqual(model.adapters.count, 2 * 3, "key, attention.output.dense and output.dense in each layer")
        XCTAssertThrowsError(try TransferModel.pretrained(folder, head: head(), mode: .lora, lora: LoRASettings(targets: ["q_lin"]))) {
            XCTAssertTrue("\($0)".contains("\"q_lin\" names no dense layer"), "\($0)")
        }
        XCTAssertThrowsError(try TransferModel.pretrained(folder, head: head(), mode: .lora, lora: LoRASettings(rank: 0))) {
            XCTAssertTrue("\($0)".contains("--lora-rank"), "\($0)")
        }
    }

    /// B starts at zero: before training, LoRA gives the frozen model's logits exactly.
    func testUntrainedAdaptersLeaveTheModelUnchanged() throws {
        let folder = try TinyTask.folder().path
        let frozen = try TransferModel.pretrained(folder, head: head(), mode: .featureExtraction, seed: 4)
        let lora = try TransferModel.pretrained(folder, head: head(), mode: .lora, seed: 4)
        XCTAssertEqual(try logits(lora, texts), try logits(frozen, texts))
    }

    /// One training step: the encoder's own weights get no gradient; adapters, pooler and classifier do.
    func testFrozenEncoderWeightsGetNoGradient() throws {
        let model = try TransferModel.pretrained(try TinyTask.folder().path, head: head(), mode: .lora)
        let tokenizer = try Tokenizer.load(directory: TinyTask.folder())
        let data = try PreparedData.sequences(TinyTask.dataset(count: 8, seed: 1), head: model.head, tokenizer: tokenizer, maxLength: 16)
        let training = ForwardContext.training(RandomStream(seed: 0))
        let loss = model.loss(logits: try model.logits(EncoderInput(encodings: data.encodings), context: training),
                              targets: .classes(IDTensor(shape: [8], ids: [1, 0, 1, 0, 1, 0, 1, 0])))
        loss.backward()
        for p in model.store.parameters {
            if p.trainable { XCTAssertNotNil(p.grad, p.name) } else { XCTAssertNil(p.grad, "\(p.name) is frozen") }
        }
    }

    func testTrainsSavesInPEFTFormatReloadsAndMerges() throws {
        let folder = try TinyTask.folder()
        // Mean pooling: the tiny random encoder's [CLS] vector alone carries too little for the task.
        let model = try TransferModel.pretrained(folder.path, head: head(.mean), mode: .lora, lora: LoRASettings(rank: 4, alpha: 8), seed: 3)
        let tokenizer = try Tokenizer.load(directory: folder)
        let train = try PreparedData.sequences(TinyTask.dataset(count: 40, seed: 1), head: model.head, tokenizer: tokenizer, maxLength: 16)
        let dev = try PreparedData.sequences(TinyTask.dataset(count: 20, seed: 2), head: model.head, tokenizer: tokenizer, maxLength: 16)
        var options = TrainingOptions()
        options.epochs = 20
        options.batchSize = 4
        options.learningRate = 2e-2
        let result = try Trainer(model: model, options: options).fit(train: train, dev: dev)
        let losses = result.history.steps.map(\.loss)
        XCTAssertLessThan(losses.suffix(10).reduce(0, +) / 10, losses.prefix(10).reduce(0, +) / 10, "the loss falls")
        guard case .classification(let m) = result.devMetrics else { return XCTFail("no metrics") }
        print("LoRA on the tiny task: dev accuracy \(m.accuracy)")
        XCTAssertGreaterThanOrEqual(m.accuracy, 0.85, "the tiny task is learnable with adapters and a linear head")
        XCTAssertTrue(model.adapters.contains { $0.adapter.b.value.scalars.contains { $0 != 0 } }, "B trained")
        let expected = try logits(model, texts)

        let adapterDir = tempDir("adapter")
        try model.saveAdapter(to: adapterDir, baseModel: folder.path, tokenizerFrom: folder, maxLength: 16)
        XCTAssertThrowsError(try model.save(to: tempDir("unmerged"), tokenizerFrom: folder, maxLength: 16), "unmerged adapters need saveAdapter or a merge")
        let keys = try SafeTensorsFile(url: adapterDir.appending(path: "adapter_model.safetensors")).floatKeys.sorted()
        XCTAssertTrue(keys.contains("base_model.model.bert.encoder.layer.0.attention.self.query.lora_A.weight"))
        XCTAssertTrue(keys.contains("base_model.model.bert.encoder.layer.1.attention.self.value.lora_B.weight"))
        XCTAssertTrue(keys.contains("base_model.model.classifier.weight"))
        XCTAssertFalse(keys.contains("base_model.model.bert.pooler.dense.weight"), "mean pooling reads no pooler")
        XCTAssertFalse(keys.contains { $0.contains("attention.self.query.weight") }, "no base weight in an adapter file")
        let config = try JSONValue.parse(Data(contentsOf: adapterDir.appending(path: "adapter_config.json"))).objectValue!
        XCTAssertEqual(config["peft_type"]?.stringValue, "LORA")
        XCTAssertEqual(config["task_type"]?.stringValue, "SEQ_CLS")
        XCTAssertEqual(config["r"]?.intValue, 4)
        XCTAssertEqual(config["lora_alpha"]?.doubleValue, 8)
        XCTAssertEqual(config["target_modules"], ["query", "value"])
        XCTAssertEqual(config["modules_to_save"], ["classifier"])

        let (reloaded, maxLength) = try TransferModel.load(base: folder.path, adapter: adapterDir)
        XCTAssertEqual(maxLength, 16)
        XCTAssertEqual(reloaded.adapters.count, 4)
        assertClose(try logits(reloaded, texts), expected, tolerance: 1e-6)

        reloaded.mergeAdapters()
        XCTAssertTrue(reloaded.adapters.isEmpty)
        let mergedDir = tempDir("merged")
        try reloaded.save(to: mergedDir, tokenizerFrom: folder, maxLength: 16)
        let (merged, _) = try TransferModel.load(mergedDir)
        XCTAssertEqual(merged.mode, .fineTuning, "a merged model is a plain fine-tuned one")
        XCTAssertFalse(try SafeTensorsFile(url: mergedDir.appending(path: "model.safetensors")).floatKeys.contains { $0.contains("lora") })
        assertClose(try logits(merged, texts), expected, tolerance: 1e-5)
    }

    /// A PEFT-made adapter (scripts/fixtures/peft_lora_fixtures.py) on a tiny BERT gives PEFT's logits.
    func testLoadsAPEFTAdapterWithPEFTsLogits() throws {
        let fixture = TestPaths.packageRoot.appending(path: "Tests/TransferTests/Fixtures/peft-lora")
        let base = fixture.appending(path: "base")
        let (model, _) = try TransferModel.load(base: base.path, adapter: fixture.appending(path: "adapter"))
        XCTAssertEqual(model.adapters.count, 2 * 5, "query, value, attention.output.dense, intermediate.dense, output.dense")
        XCTAssertEqual(model.head.labels, labels)
        let expected = try JSONValue.parse(Data(contentsOf: fixture.appending(path: "expected.json"))).objectValue!
        let sentences = expected["sentences"]!.arrayValue!.map { $0.stringValue! }
        let want = expected["logits"]!.arrayValue!.flatMap { $0.arrayValue!.map { Float($0.doubleValue!) } }
        let tokenizer = try Tokenizer.load(directory: base)
        let got = try Evaluator(model: model).predict(PreparedData.unlabelled(sentences, tokenizer: tokenizer, maxLength: 64)).flatMap { $0.logits[0]! }
        assertClose(got, want, tolerance: 1e-5)
        // Merged, the same logits.
        model.mergeAdapters()
        let merged = try Evaluator(model: model).predict(PreparedData.unlabelled(sentences, tokenizer: tokenizer, maxLength: 64)).flatMap { $0.logits[0]! }
        assertClose(merged, want, tolerance: 1e-5)
    }

    /// Bad adapter folders are errors that name the file and the key.
    func testBadAdaptersAreClearErrors() throws {
        let fixture = TestPaths.packageRoot.appending(path: "Tests/TransferTests/Fixtures/peft-lora")
        let base = fixture.appending(path: "base").path
        func copy(_ name: String, editing edit: (inout [String: JSONValue]) -> Void) throws -> URL {
            let dir = tempDir(name)
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: fixture.appending(path: "adapter/adapter_model.safetensors"), to: dir.appending(path: "adapter_model.safetensors"))
            var config = try JSONValue.parse(Data(contentsOf: fixture.appending(path: "adapter/adapter_config.json"))).objectValue!
            edit(&config)
            try Data(JSONValue.object(config).serialized().utf8).write(to: dir.appending(path: "adapter_config.json"))
            return dir
        }
        let cases: [(String, (inout [String: JSONValue]) -> Void, String)] = [
            ("dora", { $0["use_dora"] = true }, "\"use_dora\": true is not supported"),
            ("rank", { $0["r"] = "eight" }, "\"r\": expected a positive integer"),
            ("type", { $0["peft_type"] = "IA3" }, "\"peft_type\": expected \"LORA\""),
            ("regex", { $0["target_modules"] = ".*query" }, "\"target_modules\": a regular expression"),
            ("targets", { $0["target_modules"] = ["query"] }, "names no parameter of this model"),
            ("alpha", { $0["lora_alpha"] = 1e39 }, "lora_alpha / r"),
        ]
        for (name, edit, message) in cases {
            let dir = try copy(name, editing: edit)
            XCTAssertThrowsError(try TransferModel.load(base: base, adapter: dir), name) { error in
                XCTAssertTrue("\(error)".contains(message), "\(name): \(error)")
                XCTAssertTrue("\(error)".contains("adapter_"), "\(name): names the file: \(error)")
            }
        }
        XCTAssertThrowsError(try TransferModel.load(base: base, adapter: tempDir("missing"))) {
            XCTAssertTrue("\($0)".contains("adapter_config.json"), "\($0)")
        }
    }

    /// An adapter whose head is in neither its file nor the base model is refused, not run with a
    /// random head.
    func testAdapterWithoutItsHeadIsRefused() throws {
        let fixture = TestPaths.packageRoot.appending(path: "Tests/TransferTests/Fixtures/peft-lora")
        let dir = tempDir("headless")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: fixture.appending(path: "adapter/adapter_config.json"), to: dir.appending(path: "adapter_config.json"))
        func copyWithoutClassifier(_ from: String, to: URL) throws {
            let original = try SafeTensorsFile(url: fixture.appending(path: from))
            var writer = SafeTensorsWriter()
            for key in original.floatKeys where !key.contains("classifier") {
                writer.add(key, shape: original.info(key)!.shape, values: try original.floats(key, shape: original.info(key)!.shape))
            }
            try writer.write(to: to)
        }
        try copyWithoutClassifier("adapter/adapter_model.safetensors", to: dir.appending(path: "adapter_model.safetensors"))
        // A config naming the labels, so that the head's settings are known but not its weights.
        var config = try JSONValue.parse(Data(contentsOf: fixture.appending(path: "base/config.json"))).objectValue!
        config["architectures"] = ["BertForSequenceClassification"]
        config["id2label"] = ["0": "a", "1": "b"]
        config["label2id"] = ["a": 0, "b": 1]
        let base = tempDir("headless-base")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: fixture.appending(path: "base/vocab.txt"), to: base.appending(path: "vocab.txt"))
        try copyWithoutClassifier("base/model.safetensors", to: base.appending(path: "model.safetensors"))
        try Data(JSONValue.object(config).serialized().utf8).write(to: base.appending(path: "config.json"))
        XCTAssertThrowsError(try TransferModel.load(base: base.path, adapter: dir)) {
            XCTAssertTrue("\($0)".contains("missing key \"base_model.model.classifier"), "\($0)")
        }
    }

    /// A NaN in the adapter's weights is refused by every loader, `embed`'s too, naming the key.
    func testNonFiniteAdapterWeightsAreRefused() throws {
        let fixture = TestPaths.packageRoot.appending(path: "Tests/TransferTests/Fixtures/peft-lora")
        let base = fixture.appending(path: "base").path
        let dir = tempDir("nan")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: fixture.appending(path: "adapter/adapter_config.json"), to: dir.appending(path: "adapter_config.json"))
        var weights = try Data(contentsOf: fixture.appending(path: "adapter/adapter_model.safetensors"))
        // The first float of a lora_A matrix becomes NaN.
        let headerSize = weights.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        let header = try XCTUnwrap(JSONSerialization.jsonObject(with: weights.subdata(in: 8..<(8 + headerSize))) as? [String: Any])
        let entry = try XCTUnwrap(header.first { $0.key.contains("lora_A") }?.value as? [String: Any])
        let start = 8 + headerSize + (try XCTUnwrap((entry["data_offsets"] as? [Int])?.first))
        weights.replaceSubrange(start..<(start + 4), with: [0x00, 0x00, 0xC0, 0x7F])
        try weights.write(to: dir.appending(path: "adapter_model.safetensors"))
        XCTAssertThrowsError(try TransferModel.load(base: base, adapter: dir)) {
            XCTAssertTrue("\($0)".contains("holds NaN or infinite values"), "\($0)")
        }
        let embedder = try SentenceEmbedder(model: base)
        XCTAssertThrowsError(try embedder.attachAdapter(dir)) {
            XCTAssertTrue("\($0)".contains("holds NaN or infinite values"), "\($0)")
        }
    }
}
