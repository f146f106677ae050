import Foundation
import Tokenizers
import XCTest

/// Parity with Hugging Face `tokenizers` on hand-written hard strings (Fixtures/hard_strings.json).
final class HardStringsTests: XCTestCase {
    private func demoTokenizer() throws -> Tokenizer {
        try Tokenizer(contentsOf: TestLocations.demoModel().appendingPathComponent("tokenizer.json"))
    }

    func testEncodingsMatchTokenizers() throws {
        let tokenizer = try demoTokenizer()
        let fixture = try HardStringsFixture.load()
        XCTAssertGreaterThan(fixture.cases.count, 90)
        for c in fixture.cases {
            let encoding = tokenizer.encode(c.text, pair: c.pair, addSpecialTokens: c.addSpecialTokens)
            let diff = differences(encoding, c.expected)
            XCTAssert(diff.isEmpty, "\(c.name) (special tokens: \(c.addSpecialTokens)) \(c.text.debugDescription):\n"
                + diff.joined(separator: "\n"))
        }
    }

    func testDecodingMatchesTokenizers() throws {
        let tokenizer = try demoTokenizer()
        let fixture = try HardStringsFixture.load()
        for c in fixture.cases {
            let ids = c.expected.ids
            XCTAssertEqual(tokenizer.decode(ids), c.decoded, c.name)
            XCTAssertEqual(tokenizer.decode(ids, skipSpecialTokens: false), c.decodedWithSpecial, c.name)
        }
        for d in fixture.decodes {
            XCTAssertEqual(tokenizer.decode(d.ids), d.decoded, d.name)
            XCTAssertEqual(tokenizer.decode(d.ids, skipSpecialTokens: false), d.decodedWithSpecial, d.name)
        }
    }

    func testTruncationAndPaddingBatchesMatchTokenizers() throws {
        var tokenizer = try demoTokenizer()
        let fixture = try HardStringsFixture.load()
        for batch in fixture.batches {
            tokenizer.truncation = batch.truncation.map { t in
                Truncation(maxLength: t.max_length, strategy: Truncation.Strategy(rawValue: t.strategy)!,
                           direction: t.direction == "left" ? .left : .right)
            }
            tokenizer.padding = batch.padding.map { p in
                Padding(length: p.length.map { .fixed($0) } ?? .longest, multipleOf: p.pad_to_multiple_of,
                        direction: p.direction == "left" ? .left : .right)
            }
            var singles = [String]()
            var pairs = [(String, String)]()
            for input in batch.inputs {
                switch input {
                case .single(let s): singles.append(s)
                case let .pair(a, b): pairs.append((a, b))
                }
            }
            XCTAssert(singles.isEmpty || pairs.isEmpty, "\(batch.name): mixed batch")
            let encodings = singles.isEmpty ? tokenizer.encodeBatch(pairs: pairs) : tokenizer.encodeBatch(singles)
            XCTAssertEqual(encodings.count, batch.expected.count, batch.name)
            for (i, (actual, expected)) in zip(encodings, batch.expected).enumerated() {
                let diff = differences(actual, expected)
                XCTAssert(diff.isEmpty, "\(batch.name)[\(i)]:\n" + diff.joined(separator: "\n"))
            }
        }
    }

    /// Added tokens with every option: lstrip/rstrip, single_word, matched in raw or normalized text.
    func testAddedTokenOptionsMatchTokenizers() throws {
        let fixture = try HardStringsFixture.load().addedTokens
        let tokenizer = try demoTokenizer().adding(fixture.tokens.map { t in
            AddedToken(content: t.content, id: t.id, special: t.special, singleWord: t.single_word, lstrip: t.lstrip,
                       rstrip: t.rstrip, normalized: t.normalized)
        })
        for c in fixture.cases {
            let encoding = tokenizer.encode(c.text)
            let diff = differences(encoding, c.expected)
            XCTAssert(diff.isEmpty, "\(c.text.debugDescription):\n" + diff.joined(separator: "\n"))
            XCTAssertEqual(tokenizer.decode(encoding.ids), c.decoded, c.text)
            XCTAssertEqual(tokenizer.decode(encoding.ids, skipSpecialTokens: false), c.decodedWithSpecial, c.text)
        }
    }

    /// The `vocab.txt` + `tokenizer_config.json` path gives the same encodings as `tokenizer.json`.
    func testVocabularyFileMatchesTokenizerJSON() throws {
        let model = try TestLocations.demoModel()
        let folder = try TemporaryModelFolder(vocabulary: model.appendingPathComponent("vocab.txt"),
                                              config: ["do_lower_case": true])
        let fromVocabulary = try Tokenizer.load(directory: folder.url)
        let fixture = try HardStringsFixture.load()
        for c in fixture.cases {
            let encoding = fromVocabulary.encode(c.text, pair: c.pair, addSpecialTokens: c.addSpecialTokens)
            let diff = differences(encoding, c.expected)
            XCTAssert(diff.isEmpty, "\(c.name) (special tokens: \(c.addSpecialTokens)):\n" + diff.joined(separator: "\n"))
        }
    }

    /// Other normalizer options (cased, accents kept, …), through `tokenizer_config.json`.
    func testNormalizerVariantsMatchTokenizers() throws {
        let model = try TestLocations.demoModel()
        let fixture = try HardStringsFixture.load()
        let texts = fixture.texts
        for variant in fixture.variants {
            let folder = try TemporaryModelFolder(vocabulary: model.appendingPathComponent("vocab.txt"),
                                                  config: variant.tokenizerConfig)
            let tokenizer = try Tokenizer.load(directory: folder.url)
            for expected in variant.cases {
                let encoding = tokenizer.encode(texts[expected.name]!)
                XCTAssertEqual(encoding.ids, expected.ids, "\(variant.name) / \(expected.name): ids")
                XCTAssertEqual(encoding.offsets.map { [$0.lowerBound, $0.upperBound] }, expected.offsets,
                               "\(variant.name) / \(expected.name): offsets")
            }
        }
    }
}

/// A temporary model folder with a link to a `vocab.txt` and a `tokenizer_config.json`; removed on deinit.
final class TemporaryModelFolder {
    let url: URL

    init(vocabulary: URL, config: [String: Bool]) throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("bertkit-tok-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: url.appendingPathComponent("vocab.txt"),
                                                   withDestinationURL: vocabulary)
        try JSONSerialization.data(withJSONObject: config).write(to: url.appendingPathComponent("tokenizer_config.json"))
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }
}
