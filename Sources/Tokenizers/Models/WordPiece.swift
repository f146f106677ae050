/// The WordPiece model of BERT, as Hugging Face `tokenizers`' `WordPiece`.
///
/// A word is cut greedily into the longest vocabulary entries from the left; every piece after the first is looked
/// up with the continuing-subword prefix (`##`). A word that cannot be cut entirely, or that is longer than
/// `maxInputCharsPerWord` scalars, becomes the single unknown token.
public struct WordPiece: TokenizerModel {
    /// The unknown token, `[UNK]` for BERT.
    public let unknownToken: String
    /// The prefix of pieces that continue a word, `##` for BERT.
    public let continuingSubwordPrefix: String
    /// Words longer than this (in scalars) become the unknown token.
    public let maxInputCharsPerWord: Int
    /// The id of the unknown token.
    public let unknownTokenId: Int32

    private let vocabulary: [String: Int32]
    private let tokensById: [String?]
    private let trie: ScalarTrie
    private let continuationNode: Int32?

    /// A WordPiece model over `vocabulary`.
    ///
    /// - Throws: ``TokenizerError/unknownToken(file:path:token:)`` when `unknownToken` is not in the vocabulary.
    public init(
        vocabulary: [String: Int32],
        unknownToken: String = "[UNK]",
        continuingSubwordPrefix: String = "##",
        maxInputCharsPerWord: Int = 100,
        source: String = "WordPiece"
    ) throws(TokenizerError) {
        guard let unk = vocabulary[unknownToken] else {
            throw .unknownToken(file: source, path: "model.unk_token", token: unknownToken)
        }
        self.vocabulary = vocabulary
        self.unknownToken = unknownToken
        self.unknownTokenId = unk
        self.continuingSubwordPrefix = continuingSubwordPrefix
        self.maxInputCharsPerWord = maxInputCharsPerWord
        let maxId = vocabulary.values.max() ?? -1
        var byId = [String?](repeating: nil, count: Int(maxId) + 1)
        for (token, id) in vocabulary where id >= 0 { byId[Int(id)] = token }
        self.tokensById = byId
        let trie = ScalarTrie(vocabulary.lazy.map { (key: Array($0.key.unicodeScalars), value: $0.value) })
        self.trie = trie
        self.continuationNode = trie.node(at: continuingSubwordPrefix.unicodeScalars)
    }

    public var vocabularySize: Int { vocabulary.count }

    public func tokenToId(_ token: String) -> Int32? { vocabulary[token] }

    public func idToToken(_ id: Int32) -> String? {
        id >= 0 && Int(id) < tokensById.count ? tokensById[Int(id)] : nil
    }

    /// The vocabulary, token to id.
    public var tokens: [String: Int32] { vocabulary }

    public func tokenize(_ word: ArraySlice<Unicode.Scalar>, into tokens: inout [ModelToken]) {
        let end = word.endIndex
        guard word.count <= maxInputCharsPerWord else {
            tokens.append(ModelToken(id: unknownTokenId, range: word.startIndex..<end))
            return
        }
        let firstToken = tokens.count
        var start = word.startIndex
        while start < end {
            // Longest match from `start`: walk the trie as far as the word allows, remembering the last token.
            guard var node = start == word.startIndex ? 0 : continuationNode else {
                break
            }
            var best: Int32 = -1
            var bestEnd = start
            var i = start
            while i < end, let target = trie.step(from: node, word[i]) {
                node = target.node
                i += 1
                if target.value >= 0 {
                    best = target.value
                    bestEnd = i
                }
            }
            if best < 0 { break }
            tokens.append(ModelToken(id: best, range: start..<bestEnd))
            start = bestEnd
        }
        if start < end {
            tokens.removeSubrange(firstToken...)
            tokens.append(ModelToken(id: unknownTokenId, range: word.startIndex..<end))
        }
    }
}
