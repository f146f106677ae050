import Checkpoints
import Foundation
import Layers
@testable import Models
import Tensor
import TestSupport
import XCTest

/// ALBERT, DistilBERT, RoBERTa, XLM-RoBERTa and ELECTRA against transformers' outputs (fixtures from
/// scripts/fixtures/family_fixtures.py), and AutoModel's choice of class.
final class FamilyTests: XCTestCase {
    static let fixtures = TestPaths.packageRoot.appending(path: "Tests/ModelsTests/Fixtures")

    struct Case: Sendable {
        var folder: String
        /// The family's config type.
        var type: String
        var checkpointPrefix: String
        var hasPooler: Bool
        /// transformers' hidden state index for ours: ALBERT with inner groups records one per inner layer.
        var hiddenStateStride = 1
        /// A key the model must load, removed to test the missing-weight error.
        var requiredKey: String
    }

    static let cases: [Case] = [
        Case(folder: "albert", type: "AlbertConfig", checkpointPrefix: "albert.", hasPooler: true,
             requiredKey: "encoder.albert_layer_groups.0.albert_layers.0.ffn_output.weight"),
        Case(folder: "albert-groups", type: "AlbertConfig", checkpointPrefix: "albert.", hasPooler: true,
             hiddenStateStride: 2, requiredKey: "encoder.albert_layer_groups.1.albert_layers.1.attention.LayerNorm.bias"),
        Case(folder: "distilbert", type: "DistilBertConfig", checkpointPrefix: "distilbert.", hasPooler: false,
             requiredKey: "transformer.layer.1.sa_layer_norm.weight"),
        Case(folder: "roberta", type: "RobertaConfig", checkpointPrefix: "roberta.", hasPooler: true,
             requiredKey: "embeddings.position_embeddings.weight"),
        Case(folder: "xlm-roberta", type: "RobertaConfig", checkpointPrefix: "roberta.", hasPooler: true,
             requiredKey: "pooler.dense.bias"),
        Case(folder: "electra", type: "ElectraConfig", checkpointPrefix: "electra.", hasPooler: false,
             requiredKey: "embeddings_project.weight"),
    ]

    func folder(_ name: String) -> URL { Self.fixtures.appending(path: name) }

    func expected(_ name: String) throws -> SafeTensorsFile {
        try SafeTensorsFile(url: folder(name).appending(path: "expected.safetensors"))
    }

    func input(from file: SafeTensorsFile) throws -> EncoderInput {
        func ids(_ key: String) throws -> IDTensor {
            IDTensor(shape: try file.tensorInfo(key).shape, ids: try file.int64s(key).map { Int32($0) })
        }
        return EncoderInput(inputIds: try ids("input_ids"), attentionMask: try ids("attention_mask"),
                            tokenTypeIds: file.contains("token_type_ids") ? try ids("token_type_ids") : nil)
    }

    /// A scratch folder holding `config.json` from `fixture` and `weights` as model.safetensors.
    func scratchFolder(_ fixture: String, weights: SafeTensorsWriter) throws -> URL {
        let scratch = FileManager.default.temporaryDirectory
            .appending(path: "bertkit-family-\(ProcessInfo.processInfo.processIdentifier)-\(fixture)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: scratch) }
        try FileManager.default.copyItem(at: folder(fixture).appending(path: "config.json"), to: scratch.appending(path: "config.json"))
        try weights.write(to: scratch.appending(path: "model.safetensors"))
        return scratch
    }

    /// The fixture's weights, renamed and filtered.
    func weights(of fixture: String, rename: (String) -> String? = { $0 }) throws -> SafeTensorsWriter {
        let source = try SafeTensorsFile(url: folder(fixture).appending(path: "model.safetensors"))
        var writer = SafeTensorsWriter()
        for key in source.floatKeys {
            guard let name = rename(key) else { continue }
            writer.add(name, shape: try source.tensorInfo(key).shape, values: try source.floats(key))
        }
        return writer
    }

    // MARK: Parity

    func testEachFamilyMatchesTransformers() throws {
        for c in Self.cases {
            let model = try AutoModel.load(folder: folder(c.folder))
            XCTAssertEqual(String(describing: type(of: model.config.family)), c.type, c.folder)
            XCTAssertEqual(model.hasPooler, c.hasPooler, c.folder)
            let file = try expected(c.folder)
            let output = try model(try input(from: file), context: ForwardContext(outputsHiddenStates: true, outputsAttentions: true))
            assertClose(output.lastHiddenState.scalars, try file.floats("last_hidden_state"), tolerance: 1e-4, "\(c.folder) last_hidden_state")
            XCTAssertEqual(output.lastHiddenState.shape, try file.tensorInfo("last_hidden_state").shape, c.folder)
            if c.hasPooler {
                assertClose(output.poolerOutput?.scalars ?? [], try file.floats("pooler_output"), tolerance: 1e-4, "\(c.folder) pooler_output")
            } else {
                XCTAssertNil(output.poolerOutput, c.folder)
                XCTAssertFalse(file.contains("pooler_output"), c.folder)
            }
            let hiddenStates = output.hiddenStates ?? []
            XCTAssertEqual(hiddenStates.count, model.layerCount + 1, c.folder)
            XCTAssertEqual((hiddenStates.count - 1) * c.hiddenStateStride + 1, file.keys.filter { $0.hasPrefix("hidden_states.") }.count, c.folder)
            for (i, h) in hiddenStates.enumerated() {
                assertClose(h.scalars, try file.floats("hidden_states.\(i * c.hiddenStateStride)"), tolerance: 1e-4, "\(c.folder) hidden_states.\(i)")
            }
            let attentions = output.attentions ?? []
            XCTAssertEqual(attentions.count, file.keys.filter { $0.hasPrefix("attentions.") }.count, c.folder)
            for (i, a) in attentions.enumerated() {
                assertClose(a.scalars, try file.floats("attentions.\(i)"), tolerance: 1e-4, "\(c.folder) attentions.\(i)")
            }
        }
    }

    func testSkippingPaddingKeepsEveryRealPositionAndGradient() throws {
        let bert = TestPaths.packageRoot.appending(path: "Tests/ModelsTests/Fixtures/tiny-bert")
        let models = [("tiny-bert", bert)] + Self.cases.map { ($0.folder, folder($0.folder)) }
        for (name, url) in models {
            let batch = try input(from: SafeTensorsFile(url: url.appending(path: "expected.safetensors")))
            XCTAssertTrue(batch.attentionMask.ids.contains(0), "\(name): the fixture batch has no padding")
            try assertSkippingPaddingChangesNothing(try AutoModel.load(folder: url), batch, name)
        }
    }

    /// The encoder on `batch` with and without ``EncoderInput/skipsPadding``: every hidden state
    /// equal at real positions and zero at padding, the same pooler output, and the same
    /// parameter gradients for a mean-pooled loss.
    func assertSkippingPaddingChangesNothing(_ model: EncoderModel, _ batch: EncoderInput, _ name: String) throws {
        var packedBatch = batch
        packedBatch.skipsPadding = true
        let weights = Tensor.random([batch.batchSize, model.hiddenSize], seed: 3)
        func run(_ input: EncoderInput) throws -> (output: EncoderOutput, gradients: [[Float]]) {
            model.store.zeroGrad()
            let output = try model(input, context: ForwardContext(recordsGradients: true, outputsHiddenStates: true))
            (output.lastHiddenState.maskedMean(mask: batch.maskTensor) * weights).sum().backward()
            return (output, model.store.parameters.map { $0.grad?.scalars ?? [] })
        }
        let (padded, paddedGradients) = try run(batch)
        let (packed, packedGradients) = try run(packedBatch)
        let real = batch.attentionMask.ids.map { $0 != 0 }
        let states = Array(zip(padded.hiddenStates ?? [], packed.hiddenStates ?? []).dropFirst())
        XCTAssertEqual(states.count, model.layerCount, name)
        for (i, (a, b)) in states.enumerated() {
            let width = a.shape[2]
            let keep = (0..<a.count).map { real[$0 / width] }
            assertClose(zip(b.scalars, keep).filter(\.1).map(\.0), zip(a.scalars, keep).filter(\.1).map(\.0),
                        tolerance: 1e-5, "\(name) hidden state \(i + 1)")
            XCTAssertTrue(zip(b.scalars, keep).allSatisfy { $1 || $0 == 0 }, "\(name) hidden state \(i + 1): padding is not zero")
        }
        assertClose(packed.poolerOutput?.scalars ?? [], padded.poolerOutput?.scalars ?? [], tolerance: 1e-5, "\(name) pooler")
        XCTAssertEqual(paddedGradients.count, packedGradients.count)
        for (p, (a, b)) in zip(model.store.parameters, zip(paddedGradients, packedGradients)) {
            let scale = max(a.map(abs).max() ?? 0, 1e-3)
            assertClose(b.map { $0 / scale }, a.map { $0 / scale }, tolerance: 1e-4, "\(name) gradient of \(p.name)")
        }
    }

    func testInferenceSplitAcrossThreadsMatchesOneThread() throws {
        let bert = TestPaths.packageRoot.appending(path: "Tests/ModelsTests/Fixtures/tiny-bert")
        let models = [("tiny-bert", bert)] + Self.cases.map { ($0.folder, folder($0.folder)) }
        for (name, url) in models {
            let model = try AutoModel.load(folder: url)
            let padded = try input(from: SafeTensorsFile(url: url.appending(path: "expected.safetensors")))
            var packed = padded
            packed.skipsPadding = true
            XCTAssertGreaterThan(padded.batchSize, 1, "\(name): one sequence cannot be split")
            for (batch, attentions) in [(padded, true), (packed, false)] {
                func run(threads: Int) throws -> EncoderOutput {
                    let before = Threads.count
                    Threads.set(threads)
                    defer { Threads.set(before) }
                    return try model(batch, context: ForwardContext(outputsHiddenStates: true, outputsAttentions: attentions))
                }
                let one = try run(threads: 1), split = try run(threads: 2)
                let label = "\(name) \(attentions ? "padded" : "packed")"
                XCTAssertEqual(split.lastHiddenState.shape, one.lastHiddenState.shape, label)
                assertClose(split.lastHiddenState.scalars, one.lastHiddenState.scalars, tolerance: 1e-6, "\(label) last hidden state")
                assertClose(split.poolerOutput?.scalars ?? [], one.poolerOutput?.scalars ?? [], tolerance: 1e-6, "\(label) pooler")
                XCTAssertEqual(split.hiddenStates?.count, one.hiddenStates?.count, label)
                for (i, (a, b)) in zip(one.hiddenStates ?? [], split.hiddenStates ?? []).enumerated() {
                    XCTAssertEqual(b.shape, a.shape, "\(label) hidden state \(i)")
                    assertClose(b.scalars, a.scalars, tolerance: 1e-6, "\(label) hidden state \(i)")
                }
                XCTAssertEqual(split.attentions?.count, one.attentions?.count, label)
                for (i, (a, b)) in zip(one.attentions ?? [], split.attentions ?? []).enumerated() {
                    XCTAssertEqual(b.shape, a.shape, "\(label) attentions \(i)")
                    assertClose(b.scalars, a.scalars, tolerance: 1e-6, "\(label) attentions \(i)")
                }
            }
        }
    }

    func testSharesSplitSequencesByCost() {
        XCTAssertEqual(LayerShares.split([5, 5, 5, 5], parts: 2), [0..<2, 2..<4])
        XCTAssertEqual(LayerShares.split([9, 1, 1, 1], parts: 2), [0..<1, 1..<4])
        XCTAssertEqual(LayerShares.split([1, 1, 1, 9], parts: 2), [0..<3, 3..<4])
        XCTAssertEqual(LayerShares.split([3, 3, 3], parts: 4), [0..<1, 1..<2, 2..<3])
        XCTAssertEqual(LayerShares.split([7], parts: 2), [0..<1])
        XCTAssertEqual(LayerShares.split([4, 4], parts: 1), [0..<2])
        XCTAssertEqual(LayerShares.split([], parts: 2), [0..<0])
    }

    // MARK: Parameter counts

    func testParameterCountsEqualTransformers() throws {
        for c in Self.cases {
            let model = try AutoModel.load(folder: folder(c.folder))
            let expectedCount = try expected(c.folder).int64s("parameter_count")
            XCTAssertEqual([Int64(model.store.totalCount)], expectedCount, c.folder)
        }
    }

    /// albert-base-v2, built from its config.json values alone: about 11.7M parameters, as transformers counts.
    func testAlbertBaseV2ParameterCountEqualsTransformers() throws {
        let json = """
            {"architectures": ["AlbertForMaskedLM"], "attention_probs_dropout_prob": 0, "bos_token_id": 2,
             "classifier_dropout_prob": 0.1, "down_scale_factor": 1, "embedding_size": 128, "eos_token_id": 3,
             "gap_size": 0, "hidden_act": "gelu_new", "hidden_dropout_prob": 0, "hidden_size": 768,
             "initializer_range": 0.02, "inner_group_num": 1, "intermediate_size": 3072, "layer_norm_eps": 1e-12,
             "max_position_embeddings": 512, "model_type": "albert", "net_structure_type": 0,
             "num_attention_heads": 12, "num_hidden_groups": 1, "num_hidden_layers": 12, "num_memory_blocks": 0,
             "pad_token_id": 0, "type_vocab_size": 2, "vocab_size": 30000}
            """
        let config = try AlbertConfig(json: JSONConfig(data: Data(json.utf8), file: nil))
        let store = ParameterStore()
        store.defersInitialization = true  // only counting: no random draws
        let model = EncoderModel(config: .albert(config), path: store.root)
        let reference = try JSONConfig(contentsOf: folder("albert-base-v2").appending(path: "parameter-count.json"))
        XCTAssertEqual(model.store.totalCount, try reference.int("parameters"))
        XCTAssertEqual(model.layerCount, 12)
        XCTAssertEqual(Set(model.layers.map(ObjectIdentifier.init)).count, 1, "every layer runs the one group")
    }

    // MARK: AutoModel

    func testAutoModelPicksEachClass() throws {
        let expectedTypes: [(String, any EncoderFamilyConfig.Type, String, any EncoderLayer.Type)] = [
            ("tiny-bert", BertConfig.self, "bert", BertLayer.self), ("albert", AlbertConfig.self, "albert", AlbertLayerGroup.self),
            ("distilbert", DistilBertConfig.self, "distilbert", DistilBertTransformerBlock.self),
            ("roberta", RobertaConfig.self, "roberta", BertLayer.self), ("xlm-roberta", RobertaConfig.self, "xlm-roberta", BertLayer.self),
            ("electra", ElectraConfig.self, "electra", BertLayer.self),
        ]
        for (name, type, modelType, layerType) in expectedTypes {
            let config = try EncoderConfig(contentsOf: folder(name).appending(path: "config.json"))
            XCTAssertEqual(config.modelType, modelType)
            let model = try AutoModel.load(folder: folder(name))
            XCTAssertTrue(Swift.type(of: model.config.family) == type, "\(name): \(Swift.type(of: model.config.family))")
            XCTAssertTrue(Swift.type(of: model.layers[0]) == layerType, "\(name): \(Swift.type(of: model.layers[0]))")
        }
        XCTAssertEqual(AutoModel.supportedModelTypes, ["bert", "albert", "distilbert", "roberta", "xlm-roberta", "electra"])
    }

    func testUnsupportedModelTypeIsAnErrorListingTheSupportedOnes() throws {
        let json = JSONConfig(values: ["model_type": .string("gpt2"), "n_embd": .int(768)], file: nil)
        XCTAssertThrowsError(try EncoderConfig(json: json)) { error in
            XCTAssertEqual(error as? ModelError, .unsupportedModelType("gpt2", supported: AutoModel.supportedModelTypes))
            for name in AutoModel.supportedModelTypes {
                XCTAssertTrue("\(error)".contains(name), "\(error)")
            }
        }
    }

    func testModelTypeIsInferredFromArchitecturesWhenAbsent() throws {
        var values = try JSONConfig(contentsOf: folder("roberta").appending(path: "config.json")).values
        values["model_type"] = nil
        values["architectures"] = .array([.string("XLMRobertaForSequenceClassification")])
        XCTAssertEqual(try EncoderConfig(json: JSONConfig(values: values, file: nil)).modelType, "xlm-roberta")
        values["architectures"] = nil
        XCTAssertThrowsError(try EncoderConfig(json: JSONConfig(values: values, file: nil))) { error in
            XCTAssertEqual((error as? CheckpointError)?.key, "model_type", "\(error)")
        }
    }

    // MARK: Loading

    func testMissingWeightIsAnErrorNamingTheKey() throws {
        for c in Self.cases {
            let scratch = try scratchFolder(c.folder, weights: weights(of: c.folder) { $0 == c.requiredKey ? nil : $0 })
            XCTAssertThrowsError(try AutoModel.load(folder: scratch), c.folder) { error in
                XCTAssertEqual((error as? CheckpointError)?.key, c.requiredKey, "\(error)")
                XCTAssertTrue("\(error)".contains(c.requiredKey), "\(error)")
            }
        }
    }

    func testKeysUnderTheFamilyPrefixLoadAndHeadsAreReportedUnexpected() throws {
        for c in Self.cases {
            var prefixed = try weights(of: c.folder) { c.checkpointPrefix + $0 }
            prefixed.add("classifier.weight", shape: [2, 4], values: [Float](repeating: 0.5, count: 8))
            let scratch = try scratchFolder(c.folder, weights: prefixed)
            let model = try AutoModel.load(folder: scratch)
            XCTAssertEqual(model.hasPooler, c.hasPooler, c.folder)
            let reference = try AutoModel.load(folder: folder(c.folder))
            let batch = try input(from: expected(c.folder))
            let a = try withNoGrad { try model(batch) }, b = try withNoGrad { try reference(batch) }
            XCTAssertEqual(a.lastHiddenState.scalars, b.lastHiddenState.scalars, c.folder)
            XCTAssertEqual(a.poolerOutput?.scalars, b.poolerOutput?.scalars, c.folder)

            let config = try EncoderConfig(contentsOf: scratch.appending(path: "config.json"))
            XCTAssertEqual(config.baseModelPrefix + ".", c.checkpointPrefix)
            let fresh = config.makeModel(path: ParameterStore().root, pooler: c.hasPooler)
            let report = try fresh.store.load(from: try Checkpoint.open(scratch), keyPrefixes: ["", c.checkpointPrefix])
            XCTAssertEqual(report.prefix, c.checkpointPrefix, c.folder)
            XCTAssertEqual(report.unexpectedKeys, ["classifier.weight"], c.folder)
        }
    }

    func testUnderAHeadTheEncoderIsNamedUnderItsBaseModelPrefix() throws {
        let config = try EncoderConfig(contentsOf: folder("albert").appending(path: "config.json"))
        let store = ParameterStore()
        let model = config.makeModel(path: store.root[config.baseModelPrefix], layers: 1)
        XCTAssertEqual(model.prefix, "albert.")
        XCTAssertNotNil(store["albert.encoder.albert_layer_groups.0.albert_layers.0.ffn.weight"])
        XCTAssertNotNil(store["albert.pooler.weight"])
        XCTAssertEqual(model.blocks.map { $0.prefix }, [
            "albert.embeddings.", "albert.encoder.embedding_hidden_mapping_in.",
            "albert.encoder.albert_layer_groups.0.", "albert.pooler.",
        ])
        XCTAssertEqual(model.blocks.reduce(0) { $0 + store.parameters(under: $1.prefix).reduce(0) { $0 + $1.count } }, store.totalCount)
    }

    // MARK: Extract layers

    func testExtractLayersRunsOnlyTheLowerLayers() throws {
        for c in Self.cases {
            let model = try AutoModel.load(folder: folder(c.folder), layers: 1)
            XCTAssertEqual(model.layerCount, 1, c.folder)
            let file = try expected(c.folder)
            let output = try withNoGrad { try model(try input(from: file)) }
            assertClose(output.lastHiddenState.scalars, try file.floats("hidden_states.\(c.hiddenStateStride)"), tolerance: 1e-4, c.folder)
            let full = try AutoModel.load(folder: folder(c.folder))
            XCTAssertLessThanOrEqual(model.store.totalCount, full.store.totalCount, c.folder)
        }
    }

    func testEveryFamilyClampsTheLayerCount() throws {
        let bert = EncoderConfig.bert(BertConfig(vocabSize: 10, hiddenSize: 8, numHiddenLayers: 2, numAttentionHeads: 2,
                                                 intermediateSize: 16))
        let configs = try [bert] + Self.cases.map { try EncoderConfig(contentsOf: folder($0.folder).appending(path: "config.json")) }
        for config in configs {
            let all = config.numHiddenLayers
            for (requested, kept) in [(nil, all), (-1, 0), (0, 0), (1, 1), (all + 5, all)] as [(Int?, Int)] {
                let model = config.makeModel(path: ParameterStore().root, layers: requested)
                XCTAssertEqual(model.layerCount, kept, "\(config.modelType) layers: \(String(describing: requested))")
            }
        }
    }

    func testAlbertExtractLayersKeepsTheSharedGroup() throws {
        let one = try EncoderModel.load(folder: folder("albert"), layers: 1)
        let all = try EncoderModel.load(folder: folder("albert"))
        XCTAssertEqual(one.store.totalCount, all.store.totalCount, "both layers run the one shared group")
        let grouped = try EncoderModel.load(folder: folder("albert-groups"), layers: 2)
        XCTAssertEqual(Set(grouped.layers.map(ObjectIdentifier.init)).count, 1, "layers 0 and 1 of 4 run group 0 of 2")
        XCTAssertNil(grouped.store["encoder.albert_layer_groups.1.albert_layers.0.ffn.weight"])
        let file = try expected("albert-groups")
        let output = try withNoGrad { try grouped(try input(from: file)) }
        assertClose(output.lastHiddenState.scalars, try file.floats("hidden_states.4"), tolerance: 1e-4)
    }

    // MARK: Family details

    func testAlbertLayersRunTheirGroupAsTransformersDoes() throws {
        var config = AlbertConfig()
        config.numHiddenLayers = 12
        config.numHiddenGroups = 5
        XCTAssertEqual((0..<12).map(config.groupIndex(ofLayer:)), [0, 0, 0, 1, 1, 2, 2, 2, 3, 3, 4, 4])
        config.numHiddenGroups = 1
        XCTAssertEqual(Set((0..<12).map(config.groupIndex(ofLayer:))), [0])
    }

    func testRobertaPositionsStartAfterPaddingAndSkipIt() throws {
        let model = try EncoderModel.load(folder: folder("roberta"))
        let ids = IDTensor(shape: [2, 5], ids: [0, 17, 2, 1, 1, 0, 1, 45, 2, 1])
        let embeddings = try XCTUnwrap(model.embeddings as? BertEmbeddings)
        XCTAssertEqual(embeddings.positionIds(ids).ids, [2, 3, 4, 1, 1, 2, 1, 3, 4, 1])
        XCTAssertEqual(model.config.maxSequenceLength, 40 - 2)
        XCTAssertEqual(model.maxPositionEmbeddings, 38)
        let long = EncoderInput(inputIds: IDTensor(Array(repeating: 5, count: 39)))
        XCTAssertThrowsError(try model(long)) { error in
            XCTAssertEqual(error as? ModelError, .sequenceTooLong(length: 39, maximum: 38))
        }
        XCTAssertNoThrow(try withNoGrad { try model(EncoderInput(inputIds: IDTensor(Array(repeating: 5, count: 38)))) })
        let typed = EncoderInput(inputIds: IDTensor([0, 5, 2]), tokenTypeIds: IDTensor([0, 1, 1]))
        XCTAssertThrowsError(try model(typed)) { error in
            XCTAssertEqual(error as? ModelError, .tokenTypeOutOfRange(id: 1, typeVocabularySize: 1))
        }
    }

    func testDistilBertIgnoresTokenTypes() throws {
        let model = try EncoderModel.load(folder: folder("distilbert"))
        let plain = EncoderInput(inputIds: IDTensor([2, 17, 45, 3, 61, 3]))
        let typed = EncoderInput(inputIds: IDTensor([2, 17, 45, 3, 61, 3]), tokenTypeIds: IDTensor([0, 0, 0, 0, 1, 1]))
        XCTAssertEqual(try withNoGrad { try model(plain).lastHiddenState.scalars },
                       try withNoGrad { try model(typed).lastHiddenState.scalars })
    }

    func testDistilBertSinusoidalPositionsMatchTransformers() throws {
        var config = try DistilBertConfig(contentsOf: folder("distilbert").appending(path: "config.json"))
        config.sinusoidalPosEmbds = true
        func positions(_ model: EncoderModel) -> [Float] {
            (model.embeddings as! BertEmbeddings).positionEmbeddings.weight.value.scalars
        }
        let model = EncoderModel(config)
        assertClose(positions(model),
                    try expected("distilbert").floats("sinusoidal_position_embeddings"), tolerance: 1e-6)
        let store = ParameterStore()
        store.defersInitialization = true
        let deferred = EncoderModel(config: .distilBert(config), path: store.root)
        store.initializePending()
        XCTAssertEqual(positions(deferred), positions(model), "not redrawn at random")
    }

    func testElectraProjectsOnlyWhenEmbeddingSizeDiffers() throws {
        var config = try ElectraConfig(contentsOf: folder("electra").appending(path: "config.json"))
        XCTAssertTrue(EncoderModel(config).embeddings is ProjectedEmbeddings)
        config.embeddingSize = config.hiddenSize
        let same = EncoderModel(config)
        XCTAssertTrue(same.embeddings is BertEmbeddings)
        XCTAssertNil(same.store["embeddings_project.weight"])
    }

    // MARK: Configs

    func testConfigsHaveTransformersDefaultsAndRoundTrip() throws {
        let empty = JSONConfig(values: [:], file: nil)
        let albert = try AlbertConfig(json: JSONConfig(values: ["model_type": .string("albert")], file: nil))
        XCTAssertEqual(albert, AlbertConfig())
        XCTAssertEqual([albert.hiddenSize, albert.numAttentionHeads, albert.vocabSize, albert.embeddingSize], [4096, 64, 30000, 128])
        XCTAssertEqual(albert.hiddenAct, .geluNew)
        let electra = try ElectraConfig(json: empty)
        XCTAssertEqual([electra.hiddenSize, electra.numAttentionHeads, electra.intermediateSize, electra.embeddingSize], [256, 4, 1024, 128])
        let roberta = try RobertaConfig(json: empty)
        XCTAssertEqual([roberta.vocabSize, roberta.padTokenId], [50265, 1])
        let xlmr = try RobertaConfig(json: JSONConfig(values: ["model_type": .string("xlm-roberta")], file: nil))
        XCTAssertEqual(xlmr.vocabSize, 30522)
        let distil = try DistilBertConfig(json: empty)
        XCTAssertEqual([distil.dim, distil.nLayers, distil.nHeads, distil.hiddenDim], [768, 6, 12, 3072])

        for name in ["albert", "distilbert", "roberta", "xlm-roberta", "electra"] {
            let url = folder(name).appending(path: "config.json")
            let config = try EncoderConfig(contentsOf: url)
            let values = config.jsonObject()
            XCTAssertEqual(try EncoderConfig(json: JSONConfig(values: values, file: nil)), config, name)
            let original = try JSONConfig(contentsOf: url).values
            for (key, value) in original where !value.isNull {
                XCTAssertNotNil(values[key], "\(name): \(key) is written back")
            }
        }
    }

    func testBadConfigValuesAreErrorsNamingTheKey() throws {
        let cases: [(String, [String: JSONValue], String)] = [
            ("albert", ["hidden_act": .string("mish")], "hidden_act"),
            ("albert", ["num_hidden_groups": .int(0)], "num_hidden_groups"),
            ("albert", ["embedding_size": .string("wide")], "embedding_size"),
            ("distilbert", ["activation": .string("mish")], "activation"),
            ("distilbert", ["dim": .int(30)], "dim"),
            ("roberta", ["pad_token_id": .null], "pad_token_id"),
            ("roberta", ["max_position_embeddings": .int(2)], "max_position_embeddings"),
            ("electra", ["embedding_size": .int(-1)], "embedding_size"),
        ]
        for (name, change, key) in cases {
            let url = folder(name).appending(path: "config.json")
            let values = try JSONConfig(contentsOf: url).values.merging(change) { $1 }
            XCTAssertThrowsError(try EncoderConfig(json: JSONConfig(values: values, file: url)), "\(name) \(change)") { error in
                XCTAssertEqual((error as? CheckpointError)?.key, key, "\(error)")
                XCTAssertEqual((error as? CheckpointError)?.file, url, "\(error)")
            }
        }
        XCTAssertThrowsError(try ElectraConfig(json: JSONConfig(values: ["model_type": .string("bert")], file: nil))) { error in
            XCTAssertEqual((error as? CheckpointError)?.key, "model_type", "\(error)")
        }
    }
}
