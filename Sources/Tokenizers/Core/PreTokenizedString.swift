/// Normalized text cut into splits ("words") that the model tokenizes one at a time.
///
/// Mirrors `PreTokenizedString` of Hugging Face `tokenizers`. For speed all splits share one buffer of normalized
/// scalars with their alignments; a split is a range of that buffer. Splits that are added tokens (found in the
/// text before normalization) already carry their token and are left alone by pre-tokenizers and the model.
public struct PreTokenizedString: Sendable {
    /// One split: a range of `scalars`, and the added token it is, if it is one.
    public struct Split: Sendable, Equatable {
        /// The split's range in `scalars`.
        public var range: Range<Int>
        /// The id of the added token this split is; nil for text still to tokenize.
        public var addedTokenId: Int32?
        /// Where the split starts in the original text (`original_shift` in `tokenizers`): the start of the raw
        /// piece for a split made from text, the alignment of its first scalar for a split cut from another.
        public var originalStart: Int

        /// A split of text still to tokenize, or an added token.
        public init(range: Range<Int>, addedTokenId: Int32? = nil, originalStart: Int = 0) {
            self.range = range
            self.addedTokenId = addedTokenId
            self.originalStart = originalStart
        }
    }

    /// The normalized scalars of all splits, in order.
    public internal(set) var scalars: [Unicode.Scalar]
    /// For each scalar, its range in the original text.
    public internal(set) var alignments: Alignments
    /// The splits, in order. Splits are never empty.
    public var splits: [Split]

    /// An empty string, ready to be appended to.
    public init() {
        scalars = []
        alignments = []
        splits = []
    }

    /// A single split holding `normalized`.
    public init(_ normalized: NormalizedString) {
        scalars = normalized.scalars
        alignments = normalized.alignments
        splits = normalized.isEmpty
            ? [] : [Split(range: 0..<normalized.scalars.count, originalStart: normalized.originalRange.lowerBound)]
    }

    /// Appends `normalized` as one split (dropped when empty, as `tokenizers` drops empty splits).
    public mutating func append(_ normalized: NormalizedString, addedTokenId: Int32? = nil) {
        guard !normalized.isEmpty else { return }
        if scalars.isEmpty {
            scalars = normalized.scalars
            alignments = normalized.alignments
        } else {
            scalars.append(contentsOf: normalized.scalars)
            alignments.append(contentsOf: normalized.alignments)
        }
        splits.append(Split(range: (scalars.count - normalized.scalars.count)..<scalars.count, addedTokenId: addedTokenId,
                            originalStart: normalized.originalRange.lowerBound))
    }

    /// Cuts every split that is not an added token with `body`, which appends the new ranges (inside the split's
    /// range, in order) for one split. Empty ranges are dropped.
    public mutating func refineSplits(_ body: (ArraySlice<Unicode.Scalar>, inout [Range<Int>]) -> Void) {
        var newSplits = [Split]()
        newSplits.reserveCapacity(splits.count * 8)
        var ranges = [Range<Int>]()
        for split in splits {
            if split.addedTokenId != nil {
                newSplits.append(split)
                continue
            }
            ranges.removeAll(keepingCapacity: true)
            body(scalars[split.range], &ranges)
            for r in ranges where !r.isEmpty {
                newSplits.append(Split(range: r, originalStart: alignments[r.lowerBound].lowerBound))
            }
        }
        splits = newSplits
    }

    /// Rewrites and cuts every split that is not an added token, as `PreTokenizedString::split` of `tokenizers`:
    /// `body` gets the split as a ``NormalizedString`` (with its original start), may edit it, and appends ranges
    /// of the edited scalars, in order. Empty ranges are dropped. Slower than ``refineSplits(_:)``, which only cuts.
    public mutating func splitAndEdit(_ body: (inout NormalizedString, inout [Range<Int>]) -> Void) {
        var newScalars = [Unicode.Scalar]()
        var newAlignments = Alignments()
        var newSplits = [Split]()
        newScalars.reserveCapacity(scalars.count + 8)
        newAlignments.reserveCapacity(scalars.count + 8)
        newSplits.reserveCapacity(splits.count * 4)
        var ranges = [Range<Int>]()
        for split in splits {
            let base = newScalars.count
            if split.addedTokenId != nil {
                newScalars.append(contentsOf: scalars[split.range])
                newAlignments.append(contentsOf: alignments[split.range])
                newSplits.append(Split(range: base..<newScalars.count, addedTokenId: split.addedTokenId,
                                       originalStart: split.originalStart))
                continue
            }
            let end = alignments[split.range.upperBound - 1].upperBound
            var piece = NormalizedString(scalars: Array(scalars[split.range]), alignments: alignments.slice(split.range),
                                         originalRange: split.originalStart..<max(split.originalStart, end))
            ranges.removeAll(keepingCapacity: true)
            body(&piece, &ranges)
            newScalars.append(contentsOf: piece.scalars)
            newAlignments.append(contentsOf: piece.alignments)
            for r in ranges where !r.isEmpty {
                newSplits.append(Split(range: (base + r.lowerBound)..<(base + r.upperBound),
                                       originalStart: piece.alignments[r.lowerBound].lowerBound))
            }
        }
        scalars = newScalars
        alignments = newAlignments
        splits = newSplits
    }

    /// The original range covered by the buffer range `range`.
    public func originalRange(of range: Range<Int>) -> Range<Int> {
        if range.isEmpty { return range }
        return alignments[range.lowerBound].lowerBound..<alignments[range.upperBound - 1].upperBound
    }
}
