/// Puts a string before non-empty text, as the `Prepend` normalizer of Hugging Face `tokenizers` (`"▁"` in
/// Llama-style tokenizers). The new scalars share the alignment of the first one.
public struct Prepend: Normalizer, Hashable {
    /// What to put before the text.
    public var prefix: String

    /// A normalizer that prepends `prefix`.
    public init(_ prefix: String) {
        self.prefix = prefix
    }

    public func normalize(_ string: inout NormalizedString) {
        string.prepend(prefix)
    }
}
