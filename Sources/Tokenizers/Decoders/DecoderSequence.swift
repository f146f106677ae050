/// Several decoders applied in order, each to the tokens the one before made, as the `Sequence` decoder of
/// Hugging Face `tokenizers`.
public struct DecoderSequence: TokenDecoder {
    /// The decoders, in order.
    public var decoders: [any TokenDecoder]

    /// A sequence of decoders.
    public init(_ decoders: [any TokenDecoder]) {
        self.decoders = decoders
    }

    public func decodeChain(_ tokens: [String]) -> [String] {
        decoders.reduce(tokens) { $1.decodeChain($0) }
    }
}
