import Tokenizers

/// A BERT tokenizer over a handful of tokens, for tests that need no downloaded model.
enum TinyTokenizer {
    static let tokens = [
        "[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hello", "world", "##s", "un", "##aff", "##able", "a", "##a",
        ",", "!", ".", "'", "s", "t", "don", "##t", "the", "cat", "sat", "on", "mat", "中", "e", "i", "istanbul",
    ]

    static var vocabulary: [String: Int32] {
        Dictionary(uniqueKeysWithValues: tokens.enumerated().map { ($1, Int32($0)) })
    }

    static func make(lowercase: Bool = true, maxInputCharsPerWord: Int = 100) throws -> Tokenizer {
        let vocabulary = Self.vocabulary
        let model = try WordPiece(vocabulary: vocabulary, maxInputCharsPerWord: maxInputCharsPerWord)
        let specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"].map {
            AddedToken(content: $0, id: vocabulary[$0]!, special: true, normalized: false)
        }
        return Tokenizer(
            normalizer: BertNormalizer(lowercase: lowercase),
            preTokenizer: BertPreTokenizer(),
            model: model,
            postProcessor: TemplateProcessing.bert(cls: ("[CLS]", 2), sep: ("[SEP]", 3)),
            decoder: WordPieceDecoder(),
            addedTokens: specials)
    }
}
