/// Replaces every match of a pattern, as the `Replace` normalizer of Hugging Face `tokenizers`. The replacement
/// takes the alignment of the last scalar it replaces.
public struct Replace: Normalizer {
    /// What to replace.
    public var pattern: Pattern { matcher.pattern }
    /// What to put instead.
    public let content: String

    private let matcher: PatternMatcher
    private let contentScalars: [Unicode.Scalar]

    /// A normalizer replacing `pattern` with `content`.
    ///
    /// - Throws: ``TokenizerError/invalidValue(file:path:expected:found:)`` when the regular expression does not
    ///   compile.
    public init(_ pattern: Pattern, with content: String) throws(TokenizerError) {
        self.init(matcher: try PatternMatcher.compile(pattern), content: content)
    }

    init(matcher: PatternMatcher, content: String) {
        self.matcher = matcher
        self.content = content
        self.contentScalars = Array(content.unicodeScalars)
    }

    public func normalize(_ string: inout NormalizedString) {
        let matches = matcher.matches(in: string.scalars[...])
        string.replace(matches, with: contentScalars)
    }
}

extension PatternMatcher {
    /// Compiles `pattern`, with a typed error for a regular expression Swift cannot read.
    static func compile(_ pattern: Pattern, path: String = "pattern") throws(TokenizerError) -> PatternMatcher {
        do {
            return try PatternMatcher(pattern)
        } catch {
            guard case .regex(let source) = pattern else { fatalError("a literal pattern always compiles") }
            throw .invalidValue(file: "pattern", path: path, expected: "a regular expression (\(error))",
                                found: "\"\(source)\"")
        }
    }
}
