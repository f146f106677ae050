/// Adds BERT's `[CLS]` and `[SEP]`, as Hugging Face `tokenizers`' `BertProcessing`:
/// `[CLS] A [SEP]` (type 0) and, for a pair, `B [SEP]` (type 1).
public struct BertProcessing: PostProcessor, Hashable {
    /// The separator token and its id.
    public var sep: Token
    /// The classification token and its id.
    public var cls: Token

    /// A token and its id.
    public struct Token: Sendable, Hashable {
        /// The token text, `[CLS]` or `[SEP]`.
        public var token: String
        /// Its id in the vocabulary.
        public var id: Int32

        /// `token` with id `id`.
        public init(_ token: String, id: Int32) {
            self.token = token
            self.id = id
        }
    }

    /// BERT's post-processor with the given tokens.
    public init(sep: Token, cls: Token) {
        self.sep = sep
        self.cls = cls
    }

    public func addedTokenCount(isPair: Bool) -> Int { isPair ? 3 : 2 }

    public func process(_ encoding: Encoding, pair: Encoding?, addSpecialTokens: Bool) -> Encoding {
        guard addSpecialTokens else {
            var out = encoding
            if let pair { out.append(contentsOf: pair) }
            return out
        }
        var out = Encoding()
        out.reserveCapacity(encoding.count + (pair?.count ?? 0) + 3)
        out.append(id: cls.id, token: cls.token, offsets: 0..<0, typeId: 0, special: true, wordId: nil, sequenceId: nil)
        out.append(contentsOf: encoding, typeId: 0)
        out.append(id: sep.id, token: sep.token, offsets: 0..<0, typeId: 0, special: true, wordId: nil, sequenceId: nil)
        if let pair {
            out.append(contentsOf: pair, typeId: 1)
            out.append(id: sep.id, token: sep.token, offsets: 0..<0, typeId: 1, special: true, wordId: nil,
                       sequenceId: nil)
        }
        return out
    }
}
