/// The last stage of the pipeline, run backwards: turns tokens back into text.
///
/// Mirrors the `Decoder` trait of Hugging Face `tokenizers` (named so as not to clash with Swift's `Decoder`).
public protocol TokenDecoder: Sendable {
    /// Rewrites each token into the piece of text it stands for; the pieces are then concatenated.
    func decodeChain(_ tokens: [String]) -> [String]
}

extension TokenDecoder {
    /// The text of `tokens`.
    public func decode(_ tokens: [String]) -> String {
        decodeChain(tokens).joined()
    }
}
