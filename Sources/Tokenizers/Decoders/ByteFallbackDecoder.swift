/// Turns runs of byte tokens (`<0xE2>`) back into text, as the `ByteFallback` decoder of Hugging Face
/// `tokenizers`: a run that is valid UTF-8 becomes its text, otherwise one U+FFFD per byte.
public struct ByteFallbackDecoder: TokenDecoder, Hashable {
    /// A `ByteFallback` decoder.
    public init() {}

    public func decodeChain(_ tokens: [String]) -> [String] {
        var out = [String]()
        var pending = [UInt8]()
        func flush() {
            guard !pending.isEmpty else { return }
            if let text = String(validating: pending, as: UTF8.self) {
                out.append(text)
            } else {
                out.append(contentsOf: repeatElement("\u{FFFD}", count: pending.count))
            }
            pending.removeAll()
        }
        for token in tokens {
            if let byte = Self.byte(of: token) {
                pending.append(byte)
            } else {
                flush()
                out.append(token)
            }
        }
        flush()
        return out
    }

    /// The byte of `<0xHH>` (6 UTF-8 bytes exactly, as `tokenizers` checks).
    static func byte(of token: String) -> UInt8? {
        let u = Array(token.utf8)
        guard u.count == 6, u[0] == UInt8(ascii: "<"), u[1] == UInt8(ascii: "0"), u[2] == UInt8(ascii: "x"),
              u[5] == UInt8(ascii: ">") else { return nil }
        return UInt8(String(decoding: u[3..<5], as: UTF8.self), radix: 16)
    }
}
