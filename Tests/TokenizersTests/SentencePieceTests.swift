import Foundation
import Tokenizers
import XCTest

/// ALBERT's `spiece.model` alone: read from the protobuf wire format and built as `transformers`' AlbertTokenizer.
final class SentencePieceTests: XCTestCase {
    private let model = TestLocations.fixtures.appendingPathComponent("albert/spiece.model")

    /// Found by scripts/fuzz spiece: one token named as both [CLS] and [SEP] (as a tokenizer_config.json
    /// may say) trapped on a duplicate dictionary key.
    func testOneTokenAsClsAndSepIsNotATrap() throws {
        let crash = TestLocations.fixtures.appendingPathComponent("fuzz/spiece-cls-is-sep.model")
        let specials = SpecialTokens(cls: "<unk>", sep: "<unk>", pad: "<unk>", unk: "<unk>", mask: "<unk>")
        let tokenizer = try Tokenizer(sentencePieceModel: crash, specialTokens: specials)
        let encoding = tokenizer.encode("the hand")
        XCTAssertEqual(encoding.tokens.first, "<unk>")
        XCTAssertEqual(encoding.tokens.last, "<unk>")
        let albert = try Tokenizer(sentencePieceModel: model, specialTokens: specials)
        XCTAssertEqual(albert.encode("a", pair: "b").tokens.filter { $0 == "<unk>" }.count, 3)
    }

    /// The folder path (spiece.model, no tokenizer.json) gives what tokenizers gives for the converted file.
    func testModelFolderWithSpieceMatchesTokenizers() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("bertkit-spiece-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent("spiece.model"), withDestinationURL: model)
        let tokenizer = try Tokenizer.load(directory: folder)
        let fixture = try FamilyFixture.load("albert")
        for c in fixture.cases {
            let encoding = tokenizer.encode(c.text, pair: c.pair, addSpecialTokens: c.addSpecialTokens)
            let diff = differences(encoding, c.expected)
            XCTAssert(diff.isEmpty, "\(c.name) (special tokens: \(c.addSpecialTokens)):\n" + diff.joined(separator: "\n"))
            XCTAssertEqual(tokenizer.decode(c.expected.ids), c.decoded, c.name)
        }
        XCTAssertEqual(tokenizer.clsTokenId, 2)
        XCTAssertEqual(tokenizer.sepTokenId, 3)
        XCTAssertEqual(tokenizer.padTokenId, 0)
        XCTAssertEqual(tokenizer.unkTokenId, 1)
        XCTAssertEqual(tokenizer.maskTokenId, 4)
    }

    func testOptionsOfTheConfiguration() throws {
        let cased = try Tokenizer(sentencePieceModel: model, lowercase: false, keepAccents: true)
        XCTAssertEqual(cased.normalizer.map { $0.normalize("Ça ``x''") }, "Ça \"x\"")
        let uncased = try Tokenizer(sentencePieceModel: model)
        XCTAssertEqual(uncased.normalizer.map { $0.normalize("Ça ``x''") }, "ca \"x\"")
        XCTAssertEqual(uncased.tokenize("hello")[0].unicodeScalars.first, "\u{2581}")
    }

    func testMalformedModelNamesTheFile() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bertkit-bad-\(UUID().uuidString).model")
        defer { try? FileManager.default.removeItem(at: url) }
        try Data([0x0A, 0xFF, 0xFF, 0xFF, 0x0F, 0x01]).write(to: url)
        XCTAssertThrowsError(try Tokenizer(sentencePieceModel: url)) { error in
            guard case let .invalidValue(file, path, _, _) = error as? TokenizerError else { return XCTFail("\(error)") }
            XCTAssertEqual(file, url.path)
            XCTAssertEqual(path, "ModelProto")
        }
        try Data().write(to: url)
        XCTAssertThrowsError(try Tokenizer(sentencePieceModel: url)) { error in
            guard case let .invalidValue(_, path, _, _) = error as? TokenizerError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, "ModelProto.pieces")
        }
    }
}
