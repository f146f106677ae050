/// Separates numbers (Rust's `char::is_numeric`) from the rest, as the `Digits` pre-tokenizer of Hugging Face
/// `tokenizers`: each digit alone with `individualDigits`, runs of digits otherwise.
public struct DigitsPreTokenizer: PreTokenizer, Hashable {
    /// Make every digit a piece of its own.
    public var individualDigits: Bool

    /// A `Digits` pre-tokenizer.
    public init(individualDigits: Bool = false) {
        self.individualDigits = individualDigits
    }

    public func preTokenize(_ string: inout PreTokenizedString) {
        let tables = CharacterTables.shared
        let behavior: SplitBehavior = individualDigits ? .isolated : .contiguous
        string.refineSplits { scalars, ranges in
            var matches = [Range<Int>]()
            for i in scalars.indices where tables.classOf(scalars[i]).contains(.numeric) { matches.append(i..<(i + 1)) }
            behavior.split(scalars.indices, matches: matches, into: &ranges)
        }
    }
}
