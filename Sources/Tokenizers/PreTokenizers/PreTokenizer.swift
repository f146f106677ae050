/// The second stage of the pipeline: cuts normalized text into words, which the model tokenizes one by one.
///
/// Mirrors the `PreTokenizer` trait of Hugging Face `tokenizers`. Splits that are added tokens must be left as
/// they are (``PreTokenizedString/refineSplits(_:)`` does that).
public protocol PreTokenizer: Sendable {
    /// Cuts the splits of `string` further.
    func preTokenize(_ string: inout PreTokenizedString)
}

extension PreTokenizer {
    /// The words of `text` with their ranges in scalars of `text` (for inspection and tests; no normalization).
    public func preTokenize(_ text: String) -> [(word: String, range: Range<Int>)] {
        var s = PreTokenizedString(NormalizedString(text))
        preTokenize(&s)
        return s.splits.map { split in
            var view = String.UnicodeScalarView()
            view.append(contentsOf: s.scalars[split.range])
            return (String(view), s.originalRange(of: split.range))
        }
    }
}
