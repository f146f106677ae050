import Foundation

/// `Fixtures/hard_strings.json`, written by scripts/fixtures/tokenizers_fixtures.py from Hugging Face `tokenizers`.
struct HardStringsFixture: Decodable {
    struct ExpectedEncoding: Decodable {
        var ids: [Int32]
        var tokens: [String]
        var offsets: [[Int]]
        var typeIds: [Int32]
        var specialTokensMask: [Int32]
        var attentionMask: [Int32]
        var wordIds: [Int?]
        var sequenceIds: [Int?]
    }

    struct Case: Decodable {
        var name: String
        var text: String
        var pair: String?
        var addSpecialTokens: Bool
        var expected: ExpectedEncoding
        var decoded: String
        var decodedWithSpecial: String
    }

    struct Decode: Decodable {
        var name: String
        var ids: [Int32]
        var decoded: String
        var decodedWithSpecial: String
    }

    enum Input: Decodable {
        case single(String)
        case pair(String, String)

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let s = try? container.decode(String.self) {
                self = .single(s)
            } else {
                let both = try container.decode([String].self)
                self = .pair(both[0], both[1])
            }
        }
    }

    struct TruncationParams: Decodable {
        var max_length: Int
        var strategy: String
        var direction: String?
    }

    struct PaddingParams: Decodable {
        var length: Int?
        var pad_to_multiple_of: Int?
        var direction: String?
    }

    struct Batch: Decodable {
        var name: String
        var inputs: [Input]
        var truncation: TruncationParams?
        var padding: PaddingParams?
        var expected: [ExpectedEncoding]
    }

    struct Variant: Decodable {
        struct Result: Decodable {
            var name: String
            var ids: [Int32]
            var offsets: [[Int]]
        }

        var name: String
        var tokenizerConfig: [String: Bool]
        var cases: [Result]
    }

    struct AddedTokens: Decodable {
        struct Token: Decodable {
            var id: Int32
            var content: String
            var single_word: Bool
            var lstrip: Bool
            var rstrip: Bool
            var normalized: Bool
            var special: Bool
        }

        struct Case: Decodable {
            var text: String
            var expected: ExpectedEncoding
            var decoded: String
            var decodedWithSpecial: String
        }

        var tokens: [Token]
        var cases: [Case]
    }

    var tokenizers: String
    var cases: [Case]
    var decodes: [Decode]
    var batches: [Batch]
    var variants: [Variant]
    var addedTokens: AddedTokens

    static func load() throws -> HardStringsFixture {
        let data = try Data(contentsOf: TestLocations.fixtures.appendingPathComponent("hard_strings.json"))
        return try JSONDecoder().decode(HardStringsFixture.self, from: data)
    }

    /// The hard strings by name (single-sequence cases).
    var texts: [String: String] {
        Dictionary(cases.filter { $0.pair == nil }.map { ($0.name, $0.text) }, uniquingKeysWith: { a, _ in a })
    }
}
