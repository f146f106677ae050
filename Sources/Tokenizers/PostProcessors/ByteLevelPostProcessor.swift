/// The `ByteLevel` post-processor of Hugging Face `tokenizers`: with `trimOffsets`, token offsets leave out the
/// spaces (`Ġ`) at the ends of tokens; no special tokens are added.
public struct ByteLevelPostProcessor: PostProcessor, Hashable {
    /// Leave the spaces at the ends of tokens out of their offsets.
    public var trimOffsets: Bool
    /// The pre-tokenizer added a space before the text: the first token keeps a single leading space.
    public var addPrefixSpace: Bool

    /// A `ByteLevel` post-processor; the defaults are those of `tokenizers`.
    public init(trimOffsets: Bool = true, addPrefixSpace: Bool = true) {
        self.trimOffsets = trimOffsets
        self.addPrefixSpace = addPrefixSpace
    }

    public func addedTokenCount(isPair: Bool) -> Int { 0 }

    public func processEncodings(_ encodings: [Encoding], addSpecialTokens: Bool) -> [Encoding] {
        guard trimOffsets else { return encodings }
        return encodings.map { e in
            var e = e
            Self.trimOffsets(&e, addPrefixSpace: addPrefixSpace)
            return e
        }
    }

    public func process(_ encoding: Encoding, pair: Encoding?, addSpecialTokens: Bool) -> Encoding {
        Self.merged(processEncodings(pair.map { [encoding, $0] } ?? [encoding], addSpecialTokens: addSpecialTokens))
    }

    /// `process_offsets` of `tokenizers`: per token, the leading and trailing `Ġ` (or whitespace) scalars are taken
    /// off its offsets, except a single leading one of the first token when the prefix space was added. Offsets
    /// are scalar offsets here as in `tokenizers`, which trims after converting them to characters.
    static func trimOffsets(_ encoding: inout Encoding, addPrefixSpace: Bool) {
        let space = ByteLevelAlphabet.scalar(0x20)
        let tables = CharacterTables.shared
        func isSpace(_ s: Unicode.Scalar) -> Bool { s == space || tables.classOf(s).contains(.whitespace) }
        for i in encoding.offsets.indices {
            let scalars = encoding.tokens[i].unicodeScalars
            var leading = 0
            for s in scalars { if isSpace(s) { leading += 1 } else { break } }
            var trailing = 0
            for s in scalars.reversed() { if isSpace(s) { trailing += 1 } else { break } }
            guard leading > 0 || trailing > 0 else { continue }
            var (start, end) = (encoding.offsets[i].lowerBound, encoding.offsets[i].upperBound)
            if leading > 0 {
                let isFirst = i == 0 || start == 0
                if isFirst && addPrefixSpace && leading == 1 { leading = 0 }
                start = min(start + leading, end)
            }
            if trailing > 0 && end >= trailing {
                end = max(end - trailing, start)
            }
            encoding.offsets[i] = start..<end
        }
    }
}
