/// The added tokens of a tokenizer and the search for them in text, as `AddedVocabulary` of `tokenizers`.
struct AddedVocabulary: Sendable {
    /// A match: the range of the text it covers and the token id.
    struct Match: Equatable {
        var range: Range<Int>
        var id: Int32
    }

    /// Patterns of one kind (raw or normalized), searched leftmost-longest like `tokenizers`' Aho-Corasick.
    struct Patterns: Sendable {
        fileprivate var byFirstScalar: [UInt32: [(scalars: [Unicode.Scalar], token: AddedToken)]] = [:]
        fileprivate var asciiFirst = (UInt64(0), UInt64(0))

        var isEmpty: Bool { byFirstScalar.isEmpty }

        mutating func add(_ scalars: [Unicode.Scalar], _ token: AddedToken) {
            guard let first = scalars.first else { return }
            byFirstScalar[first.value, default: []].append((scalars, token))
            // Longest first, so the first pattern that matches is the leftmost-longest match.
            byFirstScalar[first.value]!.sort { $0.scalars.count > $1.scalars.count }
            if first.value < 64 {
                asciiFirst.0 |= 1 << first.value
            } else if first.value < 128 {
                asciiFirst.1 |= 1 << (first.value - 64)
            }
        }

        @inline(__always)
        fileprivate func mayStart(_ s: Unicode.Scalar) -> Bool {
            let v = s.value
            if v < 64 { return asciiFirst.0 & (1 << v) != 0 }
            if v < 128 { return asciiFirst.1 & (1 << (v - 64)) != 0 }
            return byFirstScalar[v] != nil
        }

        /// The added tokens found in `text`, in order, with the `single_word`, `lstrip` and `rstrip` rules.
        func matches(in text: ArraySlice<Unicode.Scalar>) -> [Match] {
            var result = [Match]()
            var consumed = text.startIndex  // end of the previous match (`start_offset` in tokenizers)
            var i = text.startIndex
            while i < text.endIndex {
                guard mayStart(text[i]), let candidates = byFirstScalar[text[i].value],
                      let found = candidates.first(where: { p in
                          i + p.scalars.count <= text.endIndex
                              && text[i..<(i + p.scalars.count)].elementsEqual(p.scalars)
                      })
                else {
                    i += 1
                    continue
                }
                var start = i
                var stop = i + found.scalars.count
                i = stop  // the search goes on after this match, kept or not
                let token = found.token
                if token.singleWord {
                    let startsWord = start == text.startIndex || !Self.isWordScalar(text[start - 1])
                    let endsWord = stop == text.endIndex || !Self.isWordScalar(text[stop])
                    if !startsWord || !endsWord { continue }
                }
                if token.lstrip {
                    var s = start
                    while s > text.startIndex && text[s - 1].properties.isWhitespace { s -= 1 }
                    start = max(s, consumed)
                }
                if token.rstrip {
                    while stop < text.endIndex && text[stop].properties.isWhitespace { stop += 1 }
                    i = stop
                }
                result.append(Match(range: start..<stop, id: token.id))
                consumed = stop
            }
            return result
        }

        /// The regex crate's Unicode `\w`.
        private static func isWordScalar(_ s: Unicode.Scalar) -> Bool {
            let p = s.properties
            if p.isAlphabetic || p.isJoinControl { return true }
            switch p.generalCategory {
            case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
            default: return false
            }
        }
    }

    let tokens: [AddedToken]
    let raw: Patterns
    let normalized: Patterns
    private let byId: [Int32: AddedToken]
    private let byContent: [String: Int32]
    private let specialContents: Set<String>
    /// What an id decodes to: the content, normalized for tokens matched in normalized text (as tokenizers does).
    private let decodedById: [Int32: String]

    /// The vocabulary of `tokens`; patterns of normalized tokens are normalized with `normalizer`.
    init(_ tokens: [AddedToken], normalizer: (any Normalizer)?) {
        self.tokens = tokens
        var raw = Patterns()
        var normalized = Patterns()
        var byId = [Int32: AddedToken]()
        var byContent = [String: Int32]()
        var decodedById = [Int32: String]()
        for token in tokens where !token.content.isEmpty {
            byId[token.id] = token
            byContent[token.content] = token.id
            if token.normalized {
                var s = NormalizedString(token.content)
                normalizer?.normalize(&s)
                normalized.add(s.scalars, token)
                decodedById[token.id] = s.text
            } else {
                raw.add(Array(token.content.unicodeScalars), token)
                decodedById[token.id] = token.content
            }
        }
        self.decodedById = decodedById
        self.raw = raw
        self.normalized = normalized
        self.byId = byId
        self.byContent = byContent
        self.specialContents = Set(tokens.filter(\.special).map(\.content))
    }

    func token(withId id: Int32) -> AddedToken? { byId[id] }

    /// The text id `id` decodes to, if it is an added token.
    func decoded(_ id: Int32) -> String? { decodedById[id] }

    func id(of content: String) -> Int32? { byContent[content] }

    func isSpecial(_ content: String) -> Bool { specialContents.contains(content) }
}
