import Foundation
import TestSupport
import XCTest
import Checkpoints
@testable import Models

final class BertConfigTests: XCTestCase {
    static let miniLM = """
        {
          "_name_or_path": "nreimers/MiniLM-L6-H384-uncased",
          "architectures": ["BertModel"],
          "attention_probs_dropout_prob": 0.1,
          "gradient_checkpointing": false,
          "hidden_act": "gelu",
          "hidden_dropout_prob": 0.1,
          "hidden_size": 384,
          "initializer_range": 0.02,
          "intermediate_size": 1536,
          "layer_norm_eps": 1e-12,
          "max_position_embeddings": 512,
          "model_type": "bert",
          "num_attention_heads": 12,
          "num_hidden_layers": 6,
          "pad_token_id": 0,
          "position_embedding_type": "absolute",
          "transformers_version": "4.8.2",
          "type_vocab_size": 2,
          "use_cache": true,
          "vocab_size": 30522
        }
        """

    func testReadsTransformersConfig() throws {
        let folder = try TemporaryFolder()
        let config = try BertConfig(contentsOf: folder.write("config.json", Self.miniLM))
        XCTAssertEqual(config.hiddenSize, 384)
        XCTAssertEqual(config.numHiddenLayers, 6)
        XCTAssertEqual(config.intermediateSize, 1536)
        XCTAssertEqual(config.hiddenAct, .gelu)
        XCTAssertEqual(config.layerNormEps, 1e-12)
        XCTAssertEqual(config.architectures, ["BertModel"])
        XCTAssertEqual(config.attentionHeadSize, 32)
        XCTAssertNil(config.id2label)
        XCTAssertEqual(config.numLabels, 2)
        XCTAssertEqual(config.otherFields["transformers_version"], "4.8.2")
        XCTAssertNil(config.otherFields["hidden_size"])
    }

    func testDefaultsMatchTransformers() throws {
        let folder = try TemporaryFolder()
        let config = try BertConfig(contentsOf: folder.write("config.json", "{\"unknown_field\": [1, 2]}"))
        XCTAssertEqual(config, BertConfig(otherFields: ["unknown_field": [1, 2]]))
        XCTAssertEqual(config.vocabSize, 30522)
        XCTAssertEqual(config.hiddenSize, 768)
        XCTAssertEqual(config.numHiddenLayers, 12)
        XCTAssertEqual(config.numAttentionHeads, 12)
        XCTAssertEqual(config.intermediateSize, 3072)
        XCTAssertEqual(config.maxPositionEmbeddings, 512)
        XCTAssertEqual(config.typeVocabSize, 2)
        XCTAssertEqual(config.initializerRange, 0.02)
        XCTAssertEqual(config.padTokenId, 0)
        XCTAssertEqual(config.positionEmbeddingType, "absolute")
        XCTAssertEqual(config.modelType, "bert")
    }

    func testWriteThenReadRoundTripsWithLabels() throws {
        let folder = try TemporaryFolder()
        var config = try BertConfig(contentsOf: folder.write("in.json", Self.miniLM))
        config.architectures = ["BertForSequenceClassification"]
        config.id2label = [0: "negative", 1: "neutral", 2: "positive"]
        config.label2id = ["negative": 0, "neutral": 1, "positive": 2]
        config.problemType = "single_label_classification"
        config.padTokenId = nil
        let url = folder.url.appending(path: "saved/config.json")
        try config.write(to: url)
        let text = try String(contentsOf: url, encoding: .utf8)
        assertMentions(text, ["  \"hidden_size\": 384,", "\"id2label\": {\n    \"0\": \"negative\"", "\"layer_norm_eps\": 1e-12",
                              "\"transformers_version\": \"4.8.2\"", "\"pad_token_id\": null", "\"classifier_dropout\": null"])
        XCTAssert(text.hasSuffix("}\n"))
        let reread = try BertConfig(contentsOf: url)
        XCTAssertEqual(reread, config)
        XCTAssertEqual(reread.numLabels, 3)
    }

    func testWrongFieldTypesNameFileAndKey() throws {
        let cases: [(field: String, json: String, expected: String, found: String)] = [
            ("hidden_size", "\"big\"", "an integer", "\"big\" (a string)"),
            ("hidden_size", "384.5", "an integer", "384.5 (a number)"),
            ("layer_norm_eps", "\"1e-12\"", "a number", "\"1e-12\" (a string)"),
            ("hidden_act", "1", "a string", "1 (an integer)"),
            ("architectures", "[\"BertModel\", 3]", "an array of strings", "[\"BertModel\",3] (an array)"),
            ("id2label", "[\"a\"]", "an object", "[\"a\"] (an array)"),
        ]
        let folder = try TemporaryFolder()
        for test in cases {
            let url = try folder.write("config.json", "{\n  \"\(test.field)\": \(test.json)\n}")
            let error = expectError { () throws(CheckpointError) in try BertConfig(contentsOf: url) }
            XCTAssertEqual(error?.file, url, test.field)
            XCTAssertEqual(error?.key, test.field)
            XCTAssertEqual(error?.reason, .wrongType(expected: test.expected, found: test.found), test.field)
            assertMentions(error?.description ?? "", [url.path, test.field, test.expected])
        }
        let nested = try folder.write("config.json", "{\"id2label\": {\"0\": 5}}")
        XCTAssertEqual(expectError { () throws(CheckpointError) in try BertConfig(contentsOf: nested) }?.key, "id2label.0")
        let badIndex = try folder.write("config.json", "{\"id2label\": {\"zero\": \"a\"}}")
        XCTAssertEqual(expectError { () throws(CheckpointError) in try BertConfig(contentsOf: badIndex) }?.key, "id2label.zero")
    }

    func testInvalidValuesAreErrors() throws {
        let cases: [(json: String, key: String, mentions: [String])] = [
            ("{\"hidden_act\": \"mish\"}", "hidden_act", ["\"mish\"", "gelu", "gelu_new", "relu", "silu", "tanh"]),
            ("{\"position_embedding_type\": \"relative_key\"}", "position_embedding_type", ["relative_key", "absolute"]),
            ("{\"hidden_size\": 100, \"num_attention_heads\": 12}", "hidden_size", ["100", "12"]),
            ("{\"num_attention_heads\": 0}", "num_attention_heads", ["positive"]),
            ("{\"vocab_size\": -5}", "vocab_size", ["-5"]),
            ("{\"hidden_dropout_prob\": 1.5}", "hidden_dropout_prob", ["1.5"]),
            ("{\"layer_norm_eps\": 0}", "layer_norm_eps", ["positive"]),
            ("{\"pad_token_id\": 40000}", "pad_token_id", ["40000", "30522"]),
        ]
        let folder = try TemporaryFolder()
        for test in cases {
            let url = try folder.write("config.json", test.json)
            let error = expectError { () throws(CheckpointError) in try BertConfig(contentsOf: url) }
            XCTAssertEqual(error?.key, test.key, test.json)
            XCTAssertEqual(error?.file, url)
            assertMentions(error?.description ?? "", test.mentions)
        }
        XCTAssertEqual(Activation(configValue: "swish"), .silu)
        XCTAssertEqual(Activation(configValue: "gelu_pytorch_tanh"), .geluPyTorchTanh)
    }

    func testMalformedAndMissingFiles() throws {
        let folder = try TemporaryFolder()
        let broken = try folder.write("config.json", "{\n  \"hidden_size\": 384,\n}")
        let error = expectError { () throws(CheckpointError) in try BertConfig(contentsOf: broken) }
        XCTAssertEqual(error?.reason, .invalidJSON(line: 3, column: 1, "expected a string key"))
        let array = try folder.write("array.json", "[]")
        XCTAssertNotNil(expectError { () throws(CheckpointError) in try BertConfig(contentsOf: array) })
        let missing = folder.url.appending(path: "missing.json")
        XCTAssertEqual(expectError { () throws(CheckpointError) in try BertConfig(contentsOf: missing) }?.reason, .fileNotFound)
    }
}
