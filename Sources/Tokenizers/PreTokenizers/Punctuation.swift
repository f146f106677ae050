/// Splits at punctuation (ASCII punctuation and the Unicode punctuation categories, as BERT's), as the
/// `Punctuation` pre-tokenizer of Hugging Face `tokenizers`.
public struct PunctuationPreTokenizer: PreTokenizer, Hashable {
    /// What becomes of each punctuation scalar; `isolated` by default.
    public var behavior: SplitBehavior

    /// A `Punctuation` pre-tokenizer.
    public init(behavior: SplitBehavior = .isolated) {
        self.behavior = behavior
    }

    public func preTokenize(_ string: inout PreTokenizedString) {
        let tables = CharacterTables.shared
        let behavior = behavior
        string.refineSplits { scalars, ranges in
            var matches = [Range<Int>]()
            for i in scalars.indices where tables.classOf(scalars[i]).contains(.punctuation) { matches.append(i..<(i + 1)) }
            behavior.split(scalars.indices, matches: matches, into: &ranges)
        }
    }
}
