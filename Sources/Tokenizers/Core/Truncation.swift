/// How to cut encodings that are too long, as `enable_truncation` of Hugging Face `tokenizers`.
///
/// `maxLength` counts the special tokens the post-processor adds. Overflowing tokens are dropped (no stride).
public struct Truncation: Sendable, Hashable {
    /// Which sequence of a pair loses tokens.
    public enum Strategy: String, Sendable, Hashable, CaseIterable {
        /// Remove from the longer sequence, one token at a time (the default).
        case longestFirst = "longest_first"
        /// Remove from the first sequence only.
        case onlyFirst = "only_first"
        /// Remove from the second sequence only.
        case onlySecond = "only_second"
    }

    /// Which end of a sequence loses tokens.
    public enum Direction: String, Sendable, Hashable {
        /// Keep the first tokens.
        case right
        /// Keep the last tokens.
        case left
    }

    /// The maximum number of tokens, special tokens included.
    public var maxLength: Int
    /// Which sequence loses tokens.
    public var strategy: Strategy
    /// Which end loses tokens.
    public var direction: Direction

    /// Truncation to `maxLength` tokens.
    public init(maxLength: Int, strategy: Strategy = .longestFirst, direction: Direction = .right) {
        precondition(maxLength >= 0, "Truncation: maxLength must not be negative")
        self.maxLength = maxLength
        self.strategy = strategy
        self.direction = direction
    }

    /// Truncates `encoding` and `pair` so that together they have at most `maxLength` tokens, as
    /// `truncate_encodings` of `tokenizers` does.
    ///
    /// Where `tokenizers` raises an error (`onlySecond` without a pair, or a sequence too short to lose enough
    /// tokens), this falls back to `longestFirst`, so that the length limit always holds.
    func apply(_ encoding: inout Encoding, _ pair: inout Encoding?, maxLength: Int) {
        if maxLength == 0 {
            encoding.truncate(to: 0, direction: direction)
            pair?.truncate(to: 0, direction: direction)
            return
        }
        let total = encoding.count + (pair?.count ?? 0)
        guard total > maxLength else { return }
        let toRemove = total - maxLength
        switch strategy {
        case .onlyFirst where encoding.count > toRemove:
            encoding.truncate(to: encoding.count - toRemove, direction: direction)
            return
        case .onlySecond where (pair?.count ?? 0) > toRemove:
            pair!.truncate(to: pair!.count - toRemove, direction: direction)
            return
        default:
            break
        }
        // Longest first.
        guard var other = pair else {
            encoding.truncate(to: maxLength, direction: direction)
            return
        }
        var n1 = encoding.count
        var n2 = other.count
        let swapped = n1 > n2
        if swapped { swap(&n1, &n2) }
        n2 = n1 > maxLength ? n1 : max(n1, maxLength - n1)
        if n1 + n2 > maxLength {
            n1 = maxLength / 2
            n2 = n1 + maxLength % 2
        }
        if swapped { swap(&n1, &n2) }
        encoding.truncate(to: n1, direction: direction)
        other.truncate(to: n2, direction: direction)
        pair = other
    }
}
