import Foundation
import TestSupport
import Tokenizers
import XCTest

/// Loading errors: each names the file, and the JSON path and value where there is one.
final class LoadingTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("bertkit-loading-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    private func write(_ name: String, _ text: String) throws -> URL {
        let url = folder.appendingPathComponent(name)
        try text.write(to: url, atomically: false, encoding: .utf8)
        return url
    }

    private static let model = """
        {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
         "max_input_chars_per_word": 100, "vocab": {"[UNK]": 0, "[CLS]": 1, "[SEP]": 2, "hi": 3}}
        """

    private func loadError(_ json: String) throws -> TokenizerError? {
        let url = try write("tokenizer.json", json)
        do {
            _ = try Tokenizer(contentsOf: url)
            return nil
        } catch {
            return error
        }
    }

    func testMissingVocabularyNamesTheFile() throws {
        XCTAssertThrowsError(try Tokenizer.load(directory: folder)) { error in
            guard case .missingVocabulary(let file) = error as? TokenizerError else { return XCTFail("\(error)") }
            XCTAssertTrue(file.hasSuffix("vocab.txt"))
            XCTAssertTrue("\(error)".contains("vocab.txt"))
        }
    }

    func testUnsupportedComponentNamesFilePathAndType() throws {
        let error = try loadError(#"{"normalizer": {"type": "Nmt"}, "model": \#(Self.model)}"#)
        guard case let .unsupportedComponent(file, path, type) = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertTrue(file.hasSuffix("tokenizer.json"))
        XCTAssertEqual(path, "normalizer.type")
        XCTAssertEqual(type, "Nmt")
        XCTAssertTrue(error!.description.contains("normalizer.type"))
        XCTAssertTrue(error!.description.contains("Nmt"))

        let model = try loadError(#"{"model": {"type": "WordLevel", "vocab": {}, "unk_token": "<unk>"}}"#)
        XCTAssertEqual(model, .unsupportedComponent(file: folder.appendingPathComponent("tokenizer.json").path,
                                                    path: "model.type", type: "WordLevel"))
        let nested = try loadError(#"{"pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Whitespace"}, {"type": "UnicodeScripts"}]}, "model": \#(Self.model)}"#)
        XCTAssertEqual(nested, .unsupportedComponent(file: folder.appendingPathComponent("tokenizer.json").path,
                                                     path: "pre_tokenizer.pretokenizers[1].type", type: "UnicodeScripts"))
    }

    func testBadRegexAndUnigramIdNameTheirPaths() throws {
        let regex = try loadError(#"{"pre_tokenizer": {"type": "Split", "pattern": {"Regex": "(oops"}, "behavior": "Isolated", "invert": false}, "model": \#(Self.model)}"#)
        guard case let .invalidValue(_, path, _, _) = regex else { return XCTFail("\(String(describing: regex))") }
        XCTAssertEqual(path, "pre_tokenizer.pattern.Regex")
        let behavior = try loadError(#"{"pre_tokenizer": {"type": "Split", "pattern": {"String": "-"}, "behavior": "Sideways"}, "model": \#(Self.model)}"#)
        guard case let .invalidValue(_, behaviorPath, _, _) = behavior else { return XCTFail("\(String(describing: behavior))") }
        XCTAssertEqual(behaviorPath, "pre_tokenizer.behavior")
        let unigram = try loadError(#"{"model": {"type": "Unigram", "unk_id": 5, "vocab": [["<unk>", 0.0], ["a", -1.0]]}}"#)
        guard case let .invalidValue(file, unkPath, _, _) = unigram else { return XCTFail("\(String(describing: unigram))") }
        XCTAssertTrue(file.hasSuffix("tokenizer.json"))
        XCTAssertEqual(unkPath, "model.unk_id")
        let merges = try loadError(#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a b c"]}}"#)
        guard case let .invalidValue(_, mergesPath, _, _) = merges else { return XCTFail("\(String(describing: merges))") }
        XCTAssertEqual(mergesPath, "model.merges[0]")
    }

    func testMalformedJSON() throws {
        let error = try loadError(#"{"model": {"type": "WordPiece", "#)
        guard case .malformedJSON(let file, _) = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertTrue(file.hasSuffix("tokenizer.json"))
    }

    func testMalformedJSONNamesLineAndColumn() throws {
        let error = try loadError("{\n  \"version\": \"1.0\",\n  \"model\": {\"type\": \"WordPiece\" \"vocab\": {}}\n}\n")
        guard case .malformedJSON(_, let reason) = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(reason, "line 3, column 33: expected ',' or '}' in an object")
        for (json, column) in [("[1, 2,]", 7), ("{\"a\" 1}", 6), ("\"\\x\"", 3), ("[01]", 3), ("{} x", 4)] {
            guard case .malformedJSON(_, let reason)? = try loadError(json) else { return XCTFail(json) }
            XCTAssertTrue(reason.hasPrefix("line 1, column \(column): "), "\(json): \(reason)")
        }
    }

    /// Found by scripts/fuzz tokenizer: FoundationEssentials' JSON scanner trapped on deep nesting.
    func testDeepNestingIsAnErrorNotATrap() throws {
        let crash = TestPaths.packageRoot.appending(path: "Tests/TokenizersTests/Fixtures/fuzz/tokenizer-deep-nesting.json")
        let error = try loadError(String(decoding: try Data(contentsOf: crash), as: UTF8.self))
        guard case .malformedJSON(_, let reason) = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertTrue(reason.hasPrefix("line 1, column "), reason)
        XCTAssertTrue(reason.hasSuffix("nesting deeper than 128 levels"), reason)
        XCTAssertNotNil(try loadError(String(repeating: "[", count: 100_000)))
        // Deep but within the limit still parses.
        let nested = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        if case .malformedJSON(_, let reason)? = try loadError(#"{"x": \#(nested)}"#) { XCTFail(reason) }
    }

    func testMissingKeysAndWrongTypes() throws {
        XCTAssertEqual(try loadError("{}"),
                       .missingKey(file: folder.appendingPathComponent("tokenizer.json").path, path: "model"))
        let error = try loadError(#"{"normalizer": {"type": "BertNormalizer", "lowercase": "yes"}, "model": \#(Self.model)}"#)
        guard case let .invalidValue(_, path, _, found) = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertEqual(path, "normalizer.lowercase")
        XCTAssertEqual(found, "\"yes\"")
    }

    func testTemplateNamingAnUnknownSpecialToken() throws {
        let error = try loadError("""
            {"model": \(Self.model), "post_processor": {"type": "TemplateProcessing",
             "single": [{"SpecialToken": {"id": "[BOS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
             "pair": [], "special_tokens": {}}}
            """)
        XCTAssertEqual(error, .unknownToken(file: folder.appendingPathComponent("tokenizer.json").path,
                                            path: "post_processor.single[0].SpecialToken.id", token: "[BOS]"))
    }

    func testUnknownTokenMissingFromTheVocabulary() throws {
        let error = try loadError(#"{"model": {"type": "WordPiece", "unk_token": "<unk>", "vocab": {"a": 0}}}"#)
        XCTAssertEqual(error, .unknownToken(file: folder.appendingPathComponent("tokenizer.json").path,
                                            path: "model.unk_token", token: "<unk>"))
    }

    func testModelWithoutTypeIsWordPieceWhenItLooksLikeOne() throws {
        let url = try write("tokenizer.json", #"""
            {"model": {"unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 100,
                       "vocab": {"[UNK]": 0, "hi": 1, "##s": 2}}}
            """#)
        XCTAssertEqual(try Tokenizer(contentsOf: url).tokenize("his"), ["hi", "##s"])
    }

    func testUnreadableFile() {
        XCTAssertThrowsError(try Tokenizer(contentsOf: folder.appendingPathComponent("absent.json"))) { error in
            guard case .unreadableFile = error as? TokenizerError else { return XCTFail("\(error)") }
        }
    }

    func testMinimalTokenizerJSONLoads() throws {
        let url = try write("tokenizer.json", #"""
            {"added_tokens": [{"id": 1, "content": "[CLS]", "special": true, "normalized": false},
                              {"id": 2, "content": "[SEP]", "special": true, "normalized": false}],
             "normalizer": {"type": "BertNormalizer", "clean_text": true, "handle_chinese_chars": true,
                            "strip_accents": null, "lowercase": true},
             "pre_tokenizer": {"type": "BertPreTokenizer"},
             "post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 2], "cls": ["[CLS]", 1]},
             "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true},
             "truncation": {"max_length": 3, "strategy": "LongestFirst", "stride": 0},
             "padding": {"strategy": {"Fixed": 8}, "direction": "Right", "pad_to_multiple_of": null,
                         "pad_id": 0, "pad_type_id": 0, "pad_token": "[UNK]"},
             "model": \#(Self.model)}
            """#)
        let tokenizer = try Tokenizer(contentsOf: url)
        // The file's truncation and padding are kept, not applied.
        XCTAssertEqual(tokenizer.encode("Hi hi hi").tokens, ["[CLS]", "hi", "hi", "hi", "[SEP]"])
        XCTAssertEqual(tokenizer.savedTruncation, Truncation(maxLength: 3))
        XCTAssertEqual(tokenizer.savedPadding?.length, .fixed(8))
        XCTAssertEqual(tokenizer.clsTokenId, 1)
        XCTAssertEqual(tokenizer.sepTokenId, 2)
        XCTAssertEqual(tokenizer.unkTokenId, 0)
    }

    func testVocabularyFileWithConfiguration() throws {
        _ = try write("vocab.txt", "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\nhello\r\nHello\n")
        _ = try write("tokenizer_config.json", #"{"do_lower_case": false}"#)
        let cased = try Tokenizer.load(directory: folder)
        XCTAssertEqual(cased.encode("Hello hello").ids, [2, 6, 5, 3])
        _ = try write("tokenizer_config.json", #"{"do_lower_case": true}"#)
        XCTAssertEqual(try Tokenizer.load(directory: folder).encode("Hello hello").ids, [2, 5, 5, 3])
    }
}
