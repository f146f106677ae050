import Foundation
import Tokenizers

/// `Fixtures/{albert,roberta}/hard_strings.json`, written by scripts/fixtures/tokenizer_families_fixtures.py:
/// expected encodings of the hard strings for a trained tokenizer, and for variants of it whose components
/// (normalizer, pre-tokenizer, post-processor, decoder, model) replace the base file's.
struct FamilyFixture {
    struct Variant {
        var name: String
        var components: [String: Any]
        var cases: [HardStringsFixture.Case]
    }

    var family: String
    var base: URL
    var cases: [HardStringsFixture.Case]
    var variants: [Variant]

    private struct Decoded: Decodable {
        struct Variant: Decodable {
            var name: String
            var cases: [HardStringsFixture.Case]
        }

        var family: String
        var cases: [HardStringsFixture.Case]
        var variants: [Variant]
    }

    static func load(_ family: String) throws -> FamilyFixture {
        let folder = TestLocations.fixtures.appendingPathComponent(family)
        let data = try Data(contentsOf: folder.appendingPathComponent("hard_strings.json"))
        let decoded = try JSONDecoder().decode(Decoded.self, from: data)
        let raw = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let rawVariants = raw["variants"] as! [[String: Any]]
        return FamilyFixture(
            family: decoded.family, base: folder.appendingPathComponent("tokenizer.json"), cases: decoded.cases,
            variants: zip(decoded.variants, rawVariants).map { v, r in
                Variant(name: v.name, components: r["components"] as! [String: Any], cases: v.cases)
            })
    }

    /// The base tokenizer with the variant's components, written to a temporary file and loaded.
    func tokenizer(for variant: Variant) throws -> Tokenizer {
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: base)) as! [String: Any]
        for (key, value) in variant.components where key != "modelPatch" { json[key] = value }
        if let patch = variant.components["modelPatch"] as? [String: Any] {
            var model = json["model"] as! [String: Any]
            for (key, value) in patch where key != "addByteTokens" { model[key] = value }
            if patch["addByteTokens"] as? Bool == true {
                var vocabulary = model["vocab"] as! [String: Int]
                for b in 0..<256 {
                    let token = String(format: "<0x%02X>", b)
                    if vocabulary[token] == nil { vocabulary[token] = vocabulary.count }
                }
                model["vocab"] = vocabulary
            }
            json["model"] = model
        }
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bertkit-\(family)-\(variant.name)-\(UUID().uuidString).json")
        try JSONSerialization.data(withJSONObject: json).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        return try Tokenizer(contentsOf: url)
    }
}
