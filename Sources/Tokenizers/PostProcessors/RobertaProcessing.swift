/// RoBERTa's special tokens, as the `RobertaProcessing` post-processor of Hugging Face `tokenizers`:
/// `<s> A </s>` and `<s> A </s></s> B </s>`, every type id 0, and ByteLevel's offset trimming first.
public struct RobertaProcessing: PostProcessor, Hashable {
    /// The separator token, `</s>`.
    public var sep: BertProcessing.Token
    /// The classification token, `<s>`.
    public var cls: BertProcessing.Token
    /// Trim the spaces at the ends of tokens from their offsets (see ``ByteLevelPostProcessor``).
    public var trimOffsets: Bool
    /// The pre-tokenizer added a space before the text.
    public var addPrefixSpace: Bool

    /// RoBERTa's post-processor; the defaults are those of `tokenizers`.
    public init(sep: BertProcessing.Token, cls: BertProcessing.Token, trimOffsets: Bool = true,
                addPrefixSpace: Bool = true) {
        self.sep = sep
        self.cls = cls
        self.trimOffsets = trimOffsets
        self.addPrefixSpace = addPrefixSpace
    }

    public func addedTokenCount(isPair: Bool) -> Int { isPair ? 4 : 2 }

    public func processEncodings(_ encodings: [Encoding], addSpecialTokens: Bool) -> [Encoding] {
        var encodings = encodings
        for i in encodings.indices {
            if trimOffsets { ByteLevelPostProcessor.trimOffsets(&encodings[i], addPrefixSpace: addPrefixSpace) }
            encodings[i].typeIds = Array(repeating: 0, count: encodings[i].count)
        }
        guard addSpecialTokens else { return encodings }
        return encodings.enumerated().map { i, e in
            var out = Encoding()
            out.reserveCapacity(e.count + 2)
            let opener = i == 0 ? cls : sep
            out.append(id: opener.id, token: opener.token, offsets: 0..<0, typeId: 0, special: true, wordId: nil,
                       sequenceId: nil)
            out.append(contentsOf: e)
            out.append(id: sep.id, token: sep.token, offsets: 0..<0, typeId: 0, special: true, wordId: nil,
                       sequenceId: nil)
            return out
        }
    }

    public func process(_ encoding: Encoding, pair: Encoding?, addSpecialTokens: Bool) -> Encoding {
        Self.merged(processEncodings(pair.map { [encoding, $0] } ?? [encoding], addSpecialTokens: addSpecialTokens))
    }
}
