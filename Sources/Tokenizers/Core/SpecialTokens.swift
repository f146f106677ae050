/// The special tokens of a model by role. Names, not ids: ``Tokenizer`` resolves them (``Tokenizer/clsTokenId``).
public struct SpecialTokens: Sendable, Hashable {
    /// The classification token, `[CLS]` for BERT.
    public var cls: String?
    /// The separator token, `[SEP]` for BERT.
    public var sep: String?
    /// The padding token, `[PAD]` for BERT.
    public var pad: String?
    /// The unknown token, `[UNK]` for BERT.
    public var unk: String?
    /// The mask token of masked language modelling, `[MASK]` for BERT.
    public var mask: String?

    /// Special tokens; the defaults are BERT's.
    public init(cls: String? = "[CLS]", sep: String? = "[SEP]", pad: String? = "[PAD]", unk: String? = "[UNK]",
                mask: String? = "[MASK]") {
        self.cls = cls
        self.sep = sep
        self.pad = pad
        self.unk = unk
        self.mask = mask
    }
}
