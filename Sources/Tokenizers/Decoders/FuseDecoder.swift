/// Joins all tokens into one, as the `Fuse` decoder of Hugging Face `tokenizers` (so that a later `Strip` sees
/// the whole text).
public struct FuseDecoder: TokenDecoder, Hashable {
    /// A `Fuse` decoder.
    public init() {}

    public func decodeChain(_ tokens: [String]) -> [String] {
        [tokens.joined()]
    }
}
