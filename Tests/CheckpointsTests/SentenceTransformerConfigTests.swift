import Foundation
import XCTest
@testable import Checkpoints

final class SentenceTransformerConfigTests: XCTestCase {
    static let modules = """
        [
          {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
          {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
          {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}
        ]
        """

    func testReadsModulesPoolingAndSettings() throws {
        let folder = try TemporaryFolder()
        try folder.write("modules.json", Self.modules)
        try folder.write("1_Pooling/config.json", """
            {"word_embedding_dimension": 384, "pooling_mode_cls_token": false, "pooling_mode_mean_tokens": true,
             "pooling_mode_max_tokens": false, "pooling_mode_mean_sqrt_len_tokens": false}
            """)
        try folder.write("sentence_bert_config.json", "{\"max_seq_length\": 256, \"do_lower_case\": false}")
        let config = try XCTUnwrap(try SentenceTransformerConfig.load(from: folder.url))
        XCTAssertEqual(config.modules.map(\.typeName), ["Transformer", "Pooling", "Normalize"])
        XCTAssertEqual(config.pooling, PoolingConfig(wordEmbeddingDimension: 384, modes: [.mean]))
        XCTAssertTrue(config.normalize)
        XCTAssertEqual(config.maxSeqLength, 256)
        XCTAssertEqual(config.doLowerCase, false)
    }

    func testPoolingModesAndLocations() throws {
        let cases: [(flags: String, modes: [PoolingConfig.Mode])] = [
            ("\"pooling_mode_cls_token\": true", [.cls]),
            ("\"pooling_mode_max_tokens\": true", [.max]),
            ("\"pooling_mode_mean_sqrt_len_tokens\": true, \"pooling_mode_mean_tokens\": true", [.mean, .meanSqrtLength]),
            ("\"pooling_mode_lasttoken\": true, \"include_prompt\": true", [.lastToken]),
        ]
        for test in cases {
            let folder = try TemporaryFolder()
            // Pooling in a folder named by modules.json, no Normalize, no sentence_bert_config.json.
            try folder.write("modules.json", "[{\"idx\": 0, \"name\": \"p\", \"path\": \"pool\", \"type\": \"sentence_transformers.models.Pooling\"}]")
            try folder.write("pool/config.json", "{\(test.flags)}")
            let config = try XCTUnwrap(try SentenceTransformerConfig.load(from: folder.url))
            XCTAssertEqual(config.pooling?.modes, test.modes, test.flags)
            XCTAssertFalse(config.normalize)
            XCTAssertNil(config.maxSeqLength)
        }
    }

    /// sentence-transformers ≥ 6 writes `pooling_mode` as a name (or a list) and keeps the length in the tokenizer.
    func testReadsTheSentenceTransformers6Layout() throws {
        let cases: [(pooling: String, modes: [PoolingConfig.Mode])] = [
            ("\"max\"", [.max]), ("\"mean\"", [.mean]), ("\"cls\"", [.cls]), ("[\"mean\", \"max\"]", [.mean, .max]),
            ("\"lasttoken\"", [.lastToken]), ("\"weightedmean\"", [.weightedMean]),
        ]
        for test in cases {
            let folder = try TemporaryFolder()
            try folder.write("modules.json", Self.modules.replacingOccurrences(of: "models.Pooling", with: "sentence_transformer.modules.pooling.Pooling"))
            try folder.write("1_Pooling/config.json", "{\"embedding_dimension\": 24, \"pooling_mode\": \(test.pooling), \"include_prompt\": true}")
            try folder.write("sentence_bert_config.json", "{\"transformer_task\": \"feature-extraction\"}")
            try folder.write("tokenizer_config.json", "{\"model_max_length\": 12, \"do_lower_case\": true}")
            let config = try XCTUnwrap(try SentenceTransformerConfig.load(from: folder.url))
            XCTAssertEqual(config.pooling, PoolingConfig(wordEmbeddingDimension: 24, modes: test.modes), test.pooling)
            XCTAssertEqual(config.maxSeqLength, 12)
            XCTAssertTrue(config.normalize)
        }
        // A max_seq_length in sentence_bert_config.json wins; transformers' "no limit" placeholder is no limit.
        let folder = try TemporaryFolder()
        try folder.write("1_Pooling/config.json", "{\"pooling_mode\": \"mean\"}")
        try folder.write("tokenizer_config.json", "{\"model_max_length\": 1000000000000000019884624838656}")
        XCTAssertNil(try SentenceTransformerConfig.load(from: folder.url)?.maxSeqLength)
        try folder.write("sentence_bert_config.json", "{\"max_seq_length\": 128}")
        try folder.write("tokenizer_config.json", "{\"model_max_length\": 512}")
        XCTAssertEqual(try SentenceTransformerConfig.load(from: folder.url)?.maxSeqLength, 128)
        // An unknown name is an error naming the key and the known names.
        try folder.write("1_Pooling/config.json", "{\"pooling_mode\": \"median\"}")
        XCTAssertThrowsError(try SentenceTransformerConfig.load(from: folder.url)) { error in
            XCTAssertTrue("\(error)".contains("pooling_mode") && "\(error)".contains("median") && "\(error)".contains("lasttoken"), "\(error)")
        }
    }

    func testAbsentFilesGiveNil() throws {
        let folder = try TemporaryFolder()
        try folder.write("config.json", "{}")
        XCTAssertNil(try SentenceTransformerConfig.load(from: folder.url))

        // Only 1_Pooling, no modules.json: still found.
        try folder.write("1_Pooling/config.json", "{\"pooling_mode_cls_token\": true}")
        let config = try XCTUnwrap(try SentenceTransformerConfig.load(from: folder.url))
        XCTAssertEqual(config.modules, [])
        XCTAssertEqual(config.pooling?.modes, [.cls])
    }

    func testMalformedFilesAreTypedErrors() throws {
        let cases: [(file: String, text: String, key: String?, mentions: [String])] = [
            ("modules.json", "{}", nil, ["an array of modules"]),
            ("modules.json", "[{\"idx\": 0, \"path\": \"\"}]", "[0].type", ["missing"]),
            ("modules.json", "[{\"idx\": \"0\", \"type\": \"x\"}]", "[0].idx", ["an integer"]),
            ("modules.json", "[{\"type\": \"x\", \"path\": \"../elsewhere\"}]", "[0].path", ["inside the model folder"]),
            ("1_Pooling/config.json", "{\"pooling_mode_mean_tokens\": \"yes\"}", "pooling_mode_mean_tokens", ["a boolean"]),
            ("1_Pooling/config.json", "{\"pooling_mode_mean_tokens\": false}", nil, ["no pooling mode"]),
            ("sentence_bert_config.json", "{\"max_seq_length\": \"256\"}", "max_seq_length", ["an integer"]),
        ]
        for test in cases {
            let folder = try TemporaryFolder()
            let url = try folder.write(test.file, test.text)
            let error = expectError { () throws(CheckpointError) in try SentenceTransformerConfig.load(from: folder.url) }
            XCTAssertEqual(error?.file?.standardizedFileURL, url.standardizedFileURL, test.text)
            XCTAssertEqual(error?.key, test.key, test.text)
            assertMentions(error?.description ?? "", test.mentions)
        }
    }
}
