/// Replaces a pattern in each token, as the `Replace` decoder of Hugging Face `tokenizers` (`▁` → space in
/// Llama-style tokenizers).
public struct ReplaceDecoder: TokenDecoder {
    /// What to replace.
    public var pattern: Pattern { matcher.pattern }
    /// What to put instead.
    public let content: String

    private let matcher: PatternMatcher

    /// A `Replace` decoder.
    ///
    /// - Throws: ``TokenizerError/invalidValue(file:path:expected:found:)`` when the regular expression does not
    ///   compile.
    public init(_ pattern: Pattern, with content: String) throws(TokenizerError) {
        self.init(matcher: try PatternMatcher.compile(pattern), content: content)
    }

    init(matcher: PatternMatcher, content: String) {
        self.matcher = matcher
        self.content = content
    }

    public func decodeChain(_ tokens: [String]) -> [String] {
        tokens.map { token in
            let scalars = Array(token.unicodeScalars)
            let matches = matcher.matches(in: scalars[...])
            guard !matches.isEmpty else { return token }
            var out = String.UnicodeScalarView()
            var last = 0
            for m in matches {
                out.append(contentsOf: scalars[last..<m.lowerBound])
                out.append(contentsOf: content.unicodeScalars)
                last = m.upperBound
            }
            out.append(contentsOf: scalars[last...])
            return String(out)
        }
    }
}
