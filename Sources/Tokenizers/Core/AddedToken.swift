/// A token matched in the text before the model runs (`added_tokens` of `tokenizer.json`): special tokens such as
/// `[CLS]` and `[MASK]`, and tokens added for fine-tuning.
///
/// As in Hugging Face `tokenizers`, a token with `normalized == false` is found in the raw text before
/// normalization (so `"[MASK]"` typed in a sentence becomes the mask token, `"[mask]"` does not); one with
/// `normalized == true` is found in the normalized text.
public struct AddedToken: Sendable, Hashable {
    /// The text of the token.
    public var content: String
    /// Its id.
    public var id: Int32
    /// Whether it is special: skipped when decoding with `skipSpecialTokens`.
    public var special: Bool
    /// Match only when not preceded or followed by a word character.
    public var singleWord: Bool
    /// Take the whitespace on the left into the token.
    public var lstrip: Bool
    /// Take the whitespace on the right into the token.
    public var rstrip: Bool
    /// Match in normalized text rather than raw text.
    public var normalized: Bool

    /// An added token; the defaults are those of a special token.
    public init(
        content: String, id: Int32, special: Bool = true, singleWord: Bool = false, lstrip: Bool = false,
        rstrip: Bool = false, normalized: Bool = false
    ) {
        self.content = content
        self.id = id
        self.special = special
        self.singleWord = singleWord
        self.lstrip = lstrip
        self.rstrip = rstrip
        self.normalized = normalized
    }
}
