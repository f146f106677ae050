/// Splits into runs of word characters and runs of other non-space characters (`\w+|[^\w\s]+`), dropping
/// whitespace, as the `Whitespace` pre-tokenizer of Hugging Face `tokenizers` (Oniguruma's `\w` and `\s`).
public struct WhitespacePreTokenizer: PreTokenizer, Hashable {
    /// A `Whitespace` pre-tokenizer.
    public init() {}

    public func preTokenize(_ string: inout PreTokenizedString) {
        let tables = CharacterTables.shared
        string.refineSplits { scalars, ranges in
            // 0: whitespace (dropped), 1: word, 2: other.
            var runStart = scalars.startIndex
            var runKind = -1
            for i in scalars.indices {
                let c = tables.classOf(scalars[i])
                let kind = c.contains(.word) ? 1 : c.contains(.regexSpace) ? 0 : 2
                if kind != runKind {
                    if runKind > 0 { ranges.append(runStart..<i) }
                    runStart = i
                    runKind = kind
                }
            }
            if runKind > 0 { ranges.append(runStart..<scalars.endIndex) }
        }
    }
}

/// Splits on whitespace (Rust's `char::is_whitespace`), which is dropped, as the `WhitespaceSplit` pre-tokenizer of
/// Hugging Face `tokenizers`.
public struct WhitespaceSplit: PreTokenizer, Hashable {
    /// A `WhitespaceSplit` pre-tokenizer.
    public init() {}

    public func preTokenize(_ string: inout PreTokenizedString) {
        let tables = CharacterTables.shared
        string.refineSplits { scalars, ranges in
            var wordStart = scalars.startIndex
            for i in scalars.indices where tables.classOf(scalars[i]).contains(.whitespace) {
                if wordStart < i { ranges.append(wordStart..<i) }
                wordStart = i + 1
            }
            if wordStart < scalars.endIndex { ranges.append(wordStart..<scalars.endIndex) }
        }
    }
}
