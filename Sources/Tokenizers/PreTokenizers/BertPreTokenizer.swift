/// BERT's word splitting, as Hugging Face `tokenizers`' `BertPreTokenizer`.
///
/// Splits on whitespace (which is dropped), then makes every punctuation scalar a word of its own. Whitespace is
/// Rust's `char::is_whitespace`; punctuation is ASCII punctuation plus the Unicode punctuation categories.
public struct BertPreTokenizer: PreTokenizer, Hashable {
    /// A BERT pre-tokenizer.
    public init() {}

    public func preTokenize(_ string: inout PreTokenizedString) {
        let tables = CharacterTables.shared
        string.refineSplits { scalars, ranges in
            var wordStart = scalars.startIndex
            var i = scalars.startIndex
            while i < scalars.endIndex {
                let s = scalars[i]
                let isSpace: Bool
                let isPunctuation: Bool
                if s.value < 0x80 {
                    let v = s.value
                    isSpace = v == 0x20 || (v >= 0x09 && v <= 0x0D)
                    isPunctuation = (v >= 0x21 && v <= 0x2F) || (v >= 0x3A && v <= 0x40)
                        || (v >= 0x5B && v <= 0x60) || (v >= 0x7B && v <= 0x7E)
                } else {
                    let c = tables.classOf(s)
                    isSpace = c.contains(.whitespace)
                    isPunctuation = c.contains(.punctuation)
                }
                if isSpace || isPunctuation {
                    if wordStart < i { ranges.append(wordStart..<i) }
                    if isPunctuation { ranges.append(i..<(i + 1)) }
                    wordStart = i + 1
                }
                i += 1
            }
            if wordStart < scalars.endIndex { ranges.append(wordStart..<scalars.endIndex) }
        }
    }
}
