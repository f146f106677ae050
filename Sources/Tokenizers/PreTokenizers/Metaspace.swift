/// SentencePiece's word marking, as the `Metaspace` pre-tokenizer of Hugging Face `tokenizers`: spaces become
/// `▁`, a `▁` is put before the text (always, first piece only, or never), and the text is cut before each `▁`.
public struct MetaspacePreTokenizer: PreTokenizer, Hashable {
    /// When to put the replacement before the text.
    public enum PrependScheme: String, Sendable, Hashable, CaseIterable {
        /// Before every piece of text (between added tokens too).
        case always
        /// Before the piece that starts the input only.
        case first
        /// Never.
        case never
    }

    /// The scalar that stands for a space, `▁` (U+2581).
    public var replacement: Unicode.Scalar
    /// When to put `replacement` before the text.
    public var prependScheme: PrependScheme
    /// Cut the text before each `replacement`.
    public var split: Bool

    /// A `Metaspace` pre-tokenizer; the defaults are those of `tokenizers`.
    public init(replacement: Unicode.Scalar = "\u{2581}", prependScheme: PrependScheme = .always, split: Bool = true) {
        self.replacement = replacement
        self.prependScheme = prependScheme
        self.split = split
    }

    public func preTokenize(_ string: inout PreTokenizedString) {
        let replacement = replacement
        string.splitAndEdit { normalized, ranges in
            normalized.map { $0 == " " ? replacement : $0 }
            switch prependScheme {
            case .always:
                if normalized.scalars.first != replacement { normalized.prepend(String(replacement)) }
            case .first:
                if normalized.scalars.first != replacement && normalized.originalRange.lowerBound == 0 {
                    normalized.prepend(String(replacement))
                }
            case .never:
                break
            }
            let all = 0..<normalized.scalars.count
            guard split else {
                ranges.append(all)
                return
            }
            var matches = [Range<Int>]()
            for (i, s) in normalized.scalars.enumerated() where s == replacement { matches.append(i..<(i + 1)) }
            SplitBehavior.mergedWithNext.split(all, matches: matches, into: &ranges)
        }
    }
}
