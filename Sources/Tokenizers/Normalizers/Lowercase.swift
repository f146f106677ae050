/// Lowercases with Rust's `char::to_lowercase`, as the `Lowercase` normalizer of Hugging Face `tokenizers`.
public struct Lowercase: Normalizer, Hashable {
    /// A lowercasing normalizer.
    public init() {}

    public func normalize(_ string: inout NormalizedString) {
        string.lowercase()
    }
}
