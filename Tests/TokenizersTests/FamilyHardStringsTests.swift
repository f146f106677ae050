import Foundation
import Tokenizers
import XCTest

/// Hard strings through the trained Unigram (ALBERT-like) and byte-level BPE (RoBERTa-like) tokenizers, and
/// through variants of them that exercise the other normalizers, pre-tokenizers, post-processors, decoders and
/// BPE options, against Hugging Face `tokenizers` (Fixtures/{albert,roberta}/hard_strings.json).
final class FamilyHardStringsTests: XCTestCase {
    private func check(_ tokenizer: Tokenizer, _ cases: [HardStringsFixture.Case], _ label: String) {
        for c in cases {
            let encoding = tokenizer.encode(c.text, pair: c.pair, addSpecialTokens: c.addSpecialTokens)
            let diff = differences(encoding, c.expected)
            XCTAssert(diff.isEmpty, "\(label) \(c.name) (special tokens: \(c.addSpecialTokens)) \(c.text.debugDescription):\n"
                + diff.joined(separator: "\n"))
            let ids = c.expected.ids
            XCTAssertEqual(tokenizer.decode(ids), c.decoded, "\(label) \(c.name): decode")
            XCTAssertEqual(tokenizer.decode(ids, skipSpecialTokens: false), c.decodedWithSpecial,
                           "\(label) \(c.name): decode with special tokens")
        }
    }

    func testUnigramWithPrecompiledNormalizer() throws {
        let fixture = try FamilyFixture.load("albert")
        XCTAssertGreaterThan(fixture.cases.count, 100)
        check(try Tokenizer(contentsOf: fixture.base), fixture.cases, "albert")
    }

    func testByteLevelBPE() throws {
        let fixture = try FamilyFixture.load("roberta")
        XCTAssertGreaterThan(fixture.cases.count, 100)
        check(try Tokenizer(contentsOf: fixture.base), fixture.cases, "roberta")
    }

    func testUnigramVariants() throws {
        let fixture = try FamilyFixture.load("albert")
        for variant in fixture.variants {
            check(try fixture.tokenizer(for: variant), variant.cases, "albert/\(variant.name)")
        }
    }

    func testBPEVariants() throws {
        let fixture = try FamilyFixture.load("roberta")
        for variant in fixture.variants {
            check(try fixture.tokenizer(for: variant), variant.cases, "roberta/\(variant.name)")
        }
    }
}
