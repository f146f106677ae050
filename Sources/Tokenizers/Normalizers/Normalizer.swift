/// The first stage of the pipeline: cleans up text (lowercasing, accents, unusual whitespace, …) while keeping
/// track of where every normalized scalar came from.
///
/// Mirrors the `Normalizer` trait of Hugging Face `tokenizers`. A normalizer is applied to each piece of text
/// between added tokens separately.
public protocol Normalizer: Sendable {
    /// Normalizes `string` in place.
    func normalize(_ string: inout NormalizedString)
}

extension Normalizer {
    /// The normalized form of `text` (for inspection and tests).
    public func normalize(_ text: String) -> String {
        var s = NormalizedString(text)
        normalize(&s)
        return s.text
    }
}
