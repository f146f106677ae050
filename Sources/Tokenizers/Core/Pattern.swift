import Foundation  // NSRegularExpression: Foundation proper, not FoundationEssentials

/// What `Split`, `Replace` and their decoders look for: a literal string or a regular expression
/// (`{"String": …}` or `{"Regex": …}` in `tokenizer.json`).
public enum Pattern: Sendable, Hashable {
    /// A literal string, matched scalar for scalar.
    case string(String)
    /// A regular expression. `tokenizers` runs Oniguruma; BertKit runs ICU, which reads the same syntax for the
    /// patterns tokenizers files ship (classes, `\p{…}`, lookahead, `(?i:…)`, `\A`, `\z`).
    case regex(String)
}

/// How the pieces matched by a pattern are kept when splitting, as `SplitDelimiterBehavior` of `tokenizers`.
public enum SplitBehavior: String, Sendable, Hashable, CaseIterable {
    /// Matches are dropped.
    case removed
    /// Matches are pieces of their own.
    case isolated
    /// A match joins the piece before it.
    case mergedWithPrevious
    /// A match joins the piece after it.
    case mergedWithNext
    /// Consecutive matches join into one piece (and so do consecutive non-matches).
    case contiguous
}

/// A compiled ``Pattern``.
///
/// Regular expressions run on ICU (`NSRegularExpression`), whose syntax and Unicode classes are those of the
/// Oniguruma patterns `tokenizers` files carry (`\p{L}`, `\s`, lookahead, `(?i:…)`, `\A`, `\z`); Swift's `Regex`
/// was tried and cuts `[^\s\d]+` between CJK ideographs. `NSRegularExpression` is immutable and `Sendable`.
final class PatternMatcher: Sendable {
    let pattern: Pattern
    private let literal: [Unicode.Scalar]
    private let regex: NSRegularExpression?

    /// Compiles `pattern`; a regular expression ICU cannot read throws its message.
    init(_ pattern: Pattern) throws {
        self.pattern = pattern
        switch pattern {
        case .string(let s):
            literal = Array(s.unicodeScalars)
            regex = nil
        case .regex(let source):
            literal = []
            regex = try NSRegularExpression(pattern: source)
        }
    }

    /// The matches in `text`, in order, as ranges of `text`'s indices (tokenizers' `find_matches`, matches only).
    func matches(in text: ArraySlice<Unicode.Scalar>) -> [Range<Int>] {
        guard let regex else { return literalMatches(in: text) }
        // UTF-16 offsets of every scalar boundary, to map ICU's ranges back to scalars.
        var utf16Start = [Int]()
        utf16Start.reserveCapacity(text.count + 1)
        var view = String.UnicodeScalarView()
        var position = 0
        for s in text {
            utf16Start.append(position)
            position += s.value > 0xFFFF ? 2 : 1
            view.append(s)
        }
        utf16Start.append(position)
        let string = String(view)
        func scalarIndex(_ utf16: Int) -> Int {
            var lo = 0
            var hi = utf16Start.count - 1
            while lo < hi {
                let mid = (lo + hi) / 2
                if utf16Start[mid] < utf16 { lo = mid + 1 } else { hi = mid }
            }
            return text.startIndex + lo
        }
        return regex.matches(in: string, range: NSRange(location: 0, length: position)).map { m in
            scalarIndex(m.range.location)..<scalarIndex(m.range.location + m.range.length)
        }
    }

    private func literalMatches(in text: ArraySlice<Unicode.Scalar>) -> [Range<Int>] {
        guard let first = literal.first else { return [] }
        var out = [Range<Int>]()
        var i = text.startIndex
        let n = literal.count
        while i + n <= text.endIndex {
            if text[i] == first && text[i..<(i + n)].elementsEqual(literal) {
                out.append(i..<(i + n))
                i += n
            } else {
                i += 1
            }
        }
        return out
    }
}

extension SplitBehavior {
    /// The pieces of `range` cut at `matches` (sorted, inside `range`), as `NormalizedString::split` does;
    /// `invert` swaps matches and non-matches first. Appends non-empty ranges to `out`.
    func split(_ range: Range<Int>, matches: [Range<Int>], invert: Bool = false, into out: inout [Range<Int>]) {
        // tokenizers' `find_matches`: every match and every gap between matches, in order.
        var pieces = [(range: Range<Int>, isMatch: Bool)]()
        pieces.reserveCapacity(matches.count * 2 + 1)
        var previous = range.lowerBound
        for m in matches {
            if previous != m.lowerBound { pieces.append((previous..<m.lowerBound, invert)) }
            pieces.append((m, !invert))
            previous = m.upperBound
        }
        if previous != range.upperBound { pieces.append((previous..<range.upperBound, invert)) }
        if range.isEmpty { return }

        var kept = [Range<Int>]()
        kept.reserveCapacity(pieces.count)
        switch self {
        case .removed:
            for p in pieces where !p.isMatch { kept.append(p.range) }
        case .isolated:
            for p in pieces { kept.append(p.range) }
        case .mergedWithPrevious:
            var previousMatch = false
            for p in pieces {
                if p.isMatch && !previousMatch, let last = kept.last {
                    kept[kept.count - 1] = last.lowerBound..<p.range.upperBound
                } else {
                    kept.append(p.range)
                }
                previousMatch = p.isMatch
            }
        case .mergedWithNext:
            var previousMatch = false
            for p in pieces.reversed() {
                if p.isMatch && !previousMatch, let last = kept.last {
                    kept[kept.count - 1] = p.range.lowerBound..<last.upperBound
                } else {
                    kept.append(p.range)
                }
                previousMatch = p.isMatch
            }
            kept.reverse()
        case .contiguous:
            var previousMatch = false
            for p in pieces {
                if p.isMatch == previousMatch, let last = kept.last {
                    kept[kept.count - 1] = last.lowerBound..<p.range.upperBound
                } else {
                    kept.append(p.range)
                }
                previousMatch = p.isMatch
            }
        }
        for r in kept where !r.isEmpty { out.append(r) }
    }
}
