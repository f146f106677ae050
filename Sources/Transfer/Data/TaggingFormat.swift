import Foundation

/// How a token tagging file is written: one word per line, sentences separated by blank lines.
public enum TaggingFormat: Sendable, Hashable, Codable {
    /// CoNLL-U (Universal Dependencies): ten tab-separated fields, the word form in field 2 and
    /// the tag in `tagField` (1-based: 4 is UPOS, 5 is XPOS). Comment lines (`#`), multiword-token
    /// lines (ids like `3-4`) and empty nodes (ids like `8.1`) are skipped.
    case conllu(tagField: Int)
    /// CoNLL-2003 style: fields separated by spaces or tabs, the word first and the tag last (or in
    /// the 1-based `tagField`, when given). `-DOCSTART-` lines are skipped.
    case columns(tagField: Int?)

    /// CoNLL-U with universal part-of-speech tags (field 4).
    public static let upos = TaggingFormat.conllu(tagField: 4)
    /// CoNLL-U with language-specific part-of-speech tags (field 5).
    public static let xpos = TaggingFormat.conllu(tagField: 5)
    /// Word first, tag last, as CoNLL-2003.
    public static let conll2003 = TaggingFormat.columns(tagField: nil)

    /// ``upos`` for a `.conllu` file, else ``conll2003``.
    public static func detect(_ url: URL) -> TaggingFormat {
        url.pathExtension.lowercased() == "conllu" ? .upos : .conll2003
    }
}
