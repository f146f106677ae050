/// Joins BPE tokens that mark word ends with a suffix, as the `BPEDecoder` of Hugging Face `tokenizers`: the
/// suffix (`</w>`) becomes a space, or nothing in the last token.
public struct BPEDecoder: TokenDecoder, Hashable {
    /// The end-of-word suffix.
    public var suffix: String

    /// A `BPEDecoder`.
    public init(suffix: String = "</w>") {
        self.suffix = suffix
    }

    public func decodeChain(_ tokens: [String]) -> [String] {
        tokens.enumerated().map { i, token in
            token.replacingAll(suffix, with: i == tokens.count - 1 ? "" : " ")
        }
    }
}
