/// Turns SentencePiece tokens back into text, as the `Metaspace` decoder of Hugging Face `tokenizers`: `▁` becomes
/// a space, except in the first token when a `▁` was prepended (there every `▁` is dropped).
public struct MetaspaceDecoder: TokenDecoder, Hashable {
    /// The scalar that stands for a space, `▁`.
    public var replacement: Unicode.Scalar
    /// The pre-tokenizer's prepend scheme: unless `.never`, the first token loses its `▁`.
    public var prependScheme: MetaspacePreTokenizer.PrependScheme

    /// A `Metaspace` decoder.
    public init(replacement: Unicode.Scalar = "\u{2581}", prependScheme: MetaspacePreTokenizer.PrependScheme = .always) {
        self.replacement = replacement
        self.prependScheme = prependScheme
    }

    public func decodeChain(_ tokens: [String]) -> [String] {
        tokens.enumerated().map { i, token in
            var out = String.UnicodeScalarView()
            for s in token.unicodeScalars {
                if s == replacement {
                    if i == 0 && prependScheme != .never { continue }
                    out.append(" ")
                } else {
                    out.append(s)
                }
            }
            return String(out)
        }
    }
}
