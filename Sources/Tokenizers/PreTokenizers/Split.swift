/// Splits at the matches of a pattern, as the `Split` pre-tokenizer of Hugging Face `tokenizers`.
public struct SplitPreTokenizer: PreTokenizer {
    /// What to split at.
    public var pattern: Pattern { matcher.pattern }
    /// What becomes of the matches.
    public let behavior: SplitBehavior
    /// Split at what does *not* match instead.
    public let invert: Bool

    private let matcher: PatternMatcher

    /// A `Split` pre-tokenizer.
    ///
    /// - Throws: ``TokenizerError/invalidValue(file:path:expected:found:)`` when the regular expression does not
    ///   compile.
    public init(pattern: Pattern, behavior: SplitBehavior, invert: Bool = false) throws(TokenizerError) {
        self.init(matcher: try PatternMatcher.compile(pattern), behavior: behavior, invert: invert)
    }

    init(matcher: PatternMatcher, behavior: SplitBehavior, invert: Bool) {
        self.matcher = matcher
        self.behavior = behavior
        self.invert = invert
    }

    public func preTokenize(_ string: inout PreTokenizedString) {
        string.refineSplits { scalars, ranges in
            behavior.split(scalars.indices, matches: matcher.matches(in: scalars), invert: invert, into: &ranges)
        }
    }
}
