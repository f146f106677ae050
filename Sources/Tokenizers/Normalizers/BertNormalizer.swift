/// BERT's text clean-up, as Hugging Face `tokenizers`' `BertNormalizer`.
///
/// In order: removes control characters and replaces whitespace by spaces (`cleanText`), surrounds CJK ideographs
/// with spaces (`handleChineseChars`), decomposes (NFD) and removes nonspacing marks (`stripAccents`), lowercases.
public struct BertNormalizer: Normalizer, Hashable {
    /// Remove control characters and turn every kind of whitespace into a space.
    public var cleanText: Bool
    /// Put spaces around CJK ideographs so that each becomes a word.
    public var handleChineseChars: Bool
    /// Remove accents; nil follows `lowercase` (as in `tokenizers` and `transformers`).
    public var stripAccents: Bool?
    /// Lowercase the text.
    public var lowercase: Bool

    /// A BERT normalizer; the defaults are those of uncased BERT.
    public init(cleanText: Bool = true, handleChineseChars: Bool = true, stripAccents: Bool? = nil, lowercase: Bool = true) {
        self.cleanText = cleanText
        self.handleChineseChars = handleChineseChars
        self.stripAccents = stripAccents
        self.lowercase = lowercase
    }

    /// Whether accents are stripped, `stripAccents` resolved.
    public var stripsAccents: Bool { stripAccents ?? lowercase }

    public func normalize(_ string: inout NormalizedString) {
        if string.scalars.allSatisfy({ $0.value < 0x80 }) {
            normalizeASCII(&string)
            return
        }
        let tables = CharacterTables.shared
        if cleanText {
            string.filter { s in
                s.value != 0 && s.value != 0xFFFD && !tables.classOf(s).contains(.cleanRemoved)
            }
            string.map { s in tables.classOf(s).contains(.cleanToSpace) ? " " : s }
        }
        if handleChineseChars && string.scalars.contains(where: { tables.classOf($0).contains(.chinese) }) {
            var changes = [(Unicode.Scalar, Int)]()
            changes.reserveCapacity(string.scalars.count + 16)
            for s in string.scalars {
                if tables.classOf(s).contains(.chinese) {
                    changes.append((" ", 1))
                    changes.append((s, 0))
                    changes.append((" ", 1))
                } else {
                    changes.append((s, 0))
                }
            }
            string.transform(changes)
        }
        if stripsAccents {
            string.nfd()
            string.filter { !tables.classOf($0).contains(.nonspacingMark) }
        }
        if lowercase {
            string.lowercase()
        }
    }

    /// The same steps for ASCII text, fused in one pass: no CJK, no decompositions, no marks there.
    private func normalizeASCII(_ string: inout NormalizedString) {
        let clean = cleanText
        let lower = lowercase
        if clean {
            // Controls other than tab, LF and CR go; tab, LF and CR become spaces.
            if string.scalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
                string.filter { s in s.value >= 0x20 ? s.value != 0x7F : (s == "\t" || s == "\n" || s == "\r") }
                string.map { s in (s == "\t" || s == "\n" || s == "\r") ? " " : s }
            }
        }
        if lower {
            string.map { s in (s.value >= 0x41 && s.value <= 0x5A) ? Unicode.Scalar(s.value + 32)! : s }
        }
    }
}
