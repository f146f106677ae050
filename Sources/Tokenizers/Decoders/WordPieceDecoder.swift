/// Joins WordPiece tokens back into text, as Hugging Face `tokenizers`' `WordPiece` decoder.
///
/// Pieces with the prefix (`##`) are glued to the previous token, the others get a space before them. With
/// `cleanup`, spaces before punctuation and in English contractions are removed, token by token, as
/// `tokenizers` does (so `"' s"` stays apart while `" ."` becomes `"."`).
public struct WordPieceDecoder: TokenDecoder, Hashable {
    /// The prefix of continuing pieces, `##` for BERT.
    public var prefix: String
    /// Whether to remove the spaces of tokenization (`" ."` → `"."`, `" n't"` → `"n't"`, …).
    public var cleanup: Bool

    /// A WordPiece decoder.
    public init(prefix: String = "##", cleanup: Bool = true) {
        self.prefix = prefix
        self.cleanup = cleanup
    }

    public func decodeChain(_ tokens: [String]) -> [String] {
        tokens.enumerated().map { i, token in
            var piece = token
            if i != 0 {
                if !prefix.isEmpty, piece.unicodeScalars.starts(with: prefix.unicodeScalars) {
                    piece = String(piece.unicodeScalars.dropFirst(prefix.unicodeScalars.count))
                } else if prefix.isEmpty {
                    // Rust's `starts_with("")` is true and `replacen("", "", 1)` changes nothing.
                } else {
                    piece = " " + piece
                }
            }
            return cleanup ? Self.cleanup(piece) : piece
        }
    }

    /// `tokenizers`' `cleanup`: the same replacements, in the same order.
    static func cleanup(_ text: String) -> String {
        guard text.unicodeScalars.contains(" ") else { return text }
        return text
            .replacingAll(" .", with: ".")
            .replacingAll(" ?", with: "?")
            .replacingAll(" !", with: "!")
            .replacingAll(" ,", with: ",")
            .replacingAll(" ' ", with: "'")
            .replacingAll(" n't", with: "n't")
            .replacingAll(" 'm", with: "'m")
            .replacingAll(" do not", with: " don't")
            .replacingAll(" 's", with: "'s")
            .replacingAll(" 've", with: "'ve")
            .replacingAll(" 're", with: "'re")
    }
}

extension String {
    /// Replaces every non-overlapping occurrence of `target`, left to right, comparing Unicode scalars (as Rust's
    /// `str::replace` compares bytes; `Character` comparison would treat combining marks differently).
    func replacingAll(_ target: String, with replacement: String) -> String {
        let source = Array(unicodeScalars)
        let pattern = Array(target.unicodeScalars)
        guard !pattern.isEmpty, source.count >= pattern.count else { return self }
        var out = String.UnicodeScalarView()
        var i = 0
        var changed = false
        while i < source.count {
            if i + pattern.count <= source.count && source[i..<(i + pattern.count)].elementsEqual(pattern) {
                out.append(contentsOf: replacement.unicodeScalars)
                i += pattern.count
                changed = true
            } else {
                out.append(source[i])
                i += 1
            }
        }
        return changed ? String(out) : self
    }
}
