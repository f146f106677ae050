/// One token produced by a model: its id and the range of the word's scalars it covers.
public struct ModelToken: Sendable, Equatable {
    /// The token id.
    public var id: Int32
    /// The covered range, in the indices of the slice given to ``TokenizerModel/tokenize(_:into:)``.
    public var range: Range<Int>
    /// The token's text when it is not the vocabulary's for `id` (Unigram's unknown pieces keep their text).
    public var value: String?

    /// A token.
    public init(id: Int32, range: Range<Int>, value: String? = nil) {
        self.id = id
        self.range = range
        self.value = value
    }
}

/// The third stage of the pipeline: turns one pre-tokenized word into tokens from a vocabulary.
///
/// Mirrors the `Model` trait of Hugging Face `tokenizers` (``WordPiece``, ``Unigram``, ``BPE``).
public protocol TokenizerModel: Sendable {
    /// Appends the tokens of `word` to `tokens`. `word` is never empty.
    func tokenize(_ word: ArraySlice<Unicode.Scalar>, into tokens: inout [ModelToken])
    /// The id of `token`, if it is in the vocabulary.
    func tokenToId(_ token: String) -> Int32?
    /// The token with id `id`, if there is one.
    func idToToken(_ id: Int32) -> String?
    /// The number of entries in the vocabulary.
    var vocabularySize: Int { get }
}
