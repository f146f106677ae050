/// Turns byte-level tokens back into text, as the `ByteLevel` decoder of Hugging Face `tokenizers`: every scalar
/// of ``ByteLevelAlphabet`` becomes its byte (a token with other scalars keeps its own UTF-8), and the bytes of
/// all tokens are read as UTF-8, invalid sequences becoming U+FFFD.
public struct ByteLevelDecoder: TokenDecoder, Hashable {
    /// A `ByteLevel` decoder.
    public init() {}

    public func decodeChain(_ tokens: [String]) -> [String] {
        var bytes = [UInt8]()
        for token in tokens {
            let start = bytes.count
            var allMapped = true
            for s in token.unicodeScalars {
                guard let b = ByteLevelAlphabet.bytes[s.value] else { allMapped = false; break }
                bytes.append(b)
            }
            if !allMapped {
                bytes.removeSubrange(start...)
                bytes.append(contentsOf: token.utf8)
            }
        }
        return [String(decoding: bytes, as: UTF8.self)]
    }
}
