/// A piece of text being normalized, which remembers where each of its scalars came from.
///
/// Mirrors `NormalizedString` of Hugging Face `tokenizers`: every normalized scalar carries the range of original
/// scalars it was produced from, so tokens made from normalized text keep offsets into the original text. Offsets
/// are in Unicode scalar units of the whole input (what `tokenizers` reports in Python), not bytes.
///
/// The editing operations follow the Rust implementation exactly, including how inserted scalars inherit the
/// alignment of the scalar before them; offsets therefore match Hugging Face's in every case.
public struct NormalizedString: Sendable, Equatable {
    /// The normalized scalars.
    public private(set) var scalars: [Unicode.Scalar]
    /// For each normalized scalar, the range of original scalars it came from.
    public private(set) var alignments: Alignments
    /// The range of original scalars this string was made from.
    public let originalRange: Range<Int>

    /// A string not yet normalized: each scalar aligned with itself.
    ///
    /// - Parameters:
    ///   - scalars: original scalars.
    ///   - originalStart: the index of `scalars.first` in the whole input, so alignments are input-wide.
    public init<C: Collection<Unicode.Scalar>>(_ scalars: C, originalStart: Int = 0) {
        self.init(scalars: Array(scalars), originalStart: originalStart)
    }

    /// A string not yet normalized, taking `scalars` as they are (no copy while they are not edited).
    public init(scalars: [Unicode.Scalar], originalStart: Int) {
        self.scalars = scalars
        self.alignments = Alignments(identityFrom: originalStart, count: scalars.count)
        self.originalRange = originalStart..<(originalStart + scalars.count)
    }

    init(scalars: [Unicode.Scalar], alignments: Alignments, originalRange: Range<Int>) {
        self.scalars = scalars
        self.alignments = alignments
        self.originalRange = originalRange
    }

    /// The normalized scalars `range`, with their alignments.
    public func slice(_ range: Range<Int>) -> NormalizedString {
        NormalizedString(scalars: Array(scalars[range]), alignments: alignments.slice(range),
                         originalRange: originalRange(of: range))
    }

    /// A string not yet normalized, from text.
    public init(_ text: String) {
        self.init(text.unicodeScalars)
    }

    /// The normalized text.
    public var text: String {
        var s = String.UnicodeScalarView()
        s.append(contentsOf: scalars)
        return String(s)
    }

    /// Whether nothing is left.
    public var isEmpty: Bool { scalars.isEmpty }

    /// The original range covered by the normalized scalars `range` (`tokenizers`' `convert_offsets`).
    public func originalRange(of range: Range<Int>) -> Range<Int> {
        if range.isEmpty { return range }
        return alignments[range.lowerBound].lowerBound..<alignments[range.upperBound - 1].upperBound
    }

    // MARK: Editing

    /// Keeps the scalars for which `keep` is true; the survivors keep their alignments.
    public mutating func filter(_ keep: (Unicode.Scalar) -> Bool) {
        var write = 0
        for read in scalars.indices where keep(scalars[read]) {
            scalars[write] = scalars[read]
            alignments[write] = alignments[read]
            write += 1
        }
        scalars.removeSubrange(write...)
        alignments.removeSubrange(write...)
    }

    /// Replaces every scalar by one other scalar; alignments are unchanged.
    public mutating func map(_ transform: (Unicode.Scalar) -> Unicode.Scalar) {
        for i in scalars.indices { scalars[i] = transform(scalars[i]) }
    }

    /// Rebuilds the string from `changes`, as `NormalizedString::transform` does in `tokenizers`.
    ///
    /// Each element is a new scalar with a change: `0` replaces the next original scalar (and takes its alignment),
    /// `1` is inserted (and takes the alignment of the scalar before it, or an empty range at the start), `-n`
    /// replaces the next scalar and removes the `n` after it. `initialOffset` scalars are removed at the start.
    public mutating func transform<S: Sequence<(Unicode.Scalar, Int)>>(_ changes: S, initialOffset: Int = 0) {
        var newScalars = [Unicode.Scalar]()
        var newAlignments = Alignments()
        newScalars.reserveCapacity(scalars.count)
        newAlignments.reserveCapacity(scalars.count)
        var position = initialOffset
        for (scalar, change) in changes {
            if change > 0 {
                newAlignments.append(position == 0
                    ? originalRange.lowerBound..<originalRange.lowerBound
                    : alignments[position - 1])
            } else {
                newAlignments.append(alignments[position])
                position += 1 - change
            }
            newScalars.append(scalar)
        }
        scalars = newScalars
        alignments = newAlignments
    }

    /// Lowercases with Rust's `char::to_lowercase`; a scalar that lowercases to several keeps its alignment for all.
    public mutating func lowercase() {
        let tables = CharacterTables.shared
        var expands = false
        for i in scalars.indices {
            let s = scalars[i]
            if s.value < 0x80 {
                if s.value >= 0x41 && s.value <= 0x5A { scalars[i] = Unicode.Scalar(s.value + 32)! }
            } else if tables.classOf(s).contains(.lowercases) {
                let mapping = tables.lowercaseMapping(of: s)!
                if mapping.count == 1 { scalars[i] = mapping[0] } else { expands = true }
            }
        }
        guard expands else { return }
        var changes = [(Unicode.Scalar, Int)]()
        changes.reserveCapacity(scalars.count + 4)
        for s in scalars {
            if s.value >= 0x80, tables.classOf(s).contains(.lowercases), let mapping = tables.lowercaseMapping(of: s) {
                for (k, m) in mapping.enumerated() { changes.append((m, k == 0 ? 0 : 1)) }
            } else {
                changes.append((s, 0))
            }
        }
        transform(changes)
    }

    /// Canonical decomposition (NFD), with the canonical reordering of combining marks.
    ///
    /// As in `tokenizers` (crate unicode-normalization-alignments), the first scalar of a decomposition replaces
    /// the original scalar and the others are inserted after it; reordering moves scalars together with their
    /// change, and alignments are then handed out by position.
    public mutating func nfd() {
        guard needsDecomposition(compatibility: false) else { return }
        transform(decomposed(compatibility: false).lazy.map { ($0.scalar, $0.change) })
    }

    /// Compatibility decomposition (NFKD), with the canonical reordering of combining marks; alignments as ``nfd()``.
    public mutating func nfkd() {
        guard needsDecomposition(compatibility: true) else { return }
        transform(decomposed(compatibility: true).lazy.map { ($0.scalar, $0.change) })
    }

    /// Canonical composition (NFC): NFD, then each starter composed with the marks that are not blocked from it.
    /// A composite takes the change of its first scalar plus the second's minus one, as the crate computes it.
    public mutating func nfc() {
        guard scalars.contains(where: { $0.value >= 0x80 }) else { return }
        transform(Self.recomposed(decomposed(compatibility: false)))
    }

    /// Compatibility composition (NFKC): NFKD, then canonical composition as ``nfc()``.
    public mutating func nfkc() {
        guard scalars.contains(where: { $0.value >= 0x80 }) else { return }
        transform(Self.recomposed(decomposed(compatibility: true)))
    }

    private func needsDecomposition(compatibility: Bool) -> Bool {
        let tables = CharacterTables.shared
        for s in scalars where s.value >= 0x80 {
            let c = tables.classOf(s)
            if c.contains(.decomposes) || c.combiningClass != 0 { return true }
            if compatibility && c.contains(.compatibilityDecomposes) { return true }
        }
        return false
    }

    /// Every scalar decomposed (first part change 0, the others 1), then runs of non-starters stably sorted by
    /// combining class.
    private func decomposed(compatibility: Bool) -> [(scalar: Unicode.Scalar, change: Int, ccc: UInt8)] {
        let tables = CharacterTables.shared
        var changes = [(scalar: Unicode.Scalar, change: Int, ccc: UInt8)]()
        changes.reserveCapacity(scalars.count + 8)
        for s in scalars {
            let c = tables.classOf(s)
            let parts: [Unicode.Scalar]?
            if compatibility && c.contains(.compatibilityDecomposes) {
                parts = tables.compatibilityDecomposition(of: s)
            } else if c.contains(.decomposes) {
                parts = tables.decomposition(of: s)
            } else {
                parts = nil
            }
            if let parts {
                for (k, p) in parts.enumerated() {
                    changes.append((p, k == 0 ? 0 : 1, tables.classOf(p).combiningClass))
                }
            } else {
                changes.append((s, 0, c.combiningClass))
            }
        }
        // Stable sort of every run of non-starters by combining class.
        var i = 0
        while i < changes.count {
            guard changes[i].ccc != 0 else { i += 1; continue }
            var j = i + 1
            while j < changes.count && changes[j].ccc != 0 { j += 1 }
            if j - i > 1 {
                let sorted = changes[i..<j].enumerated().sorted {
                    ($0.element.ccc, $0.offset) < ($1.element.ccc, $1.offset)
                }.map(\.element)
                changes.replaceSubrange(i..<j, with: sorted)
            }
            i = j
        }
        return changes
    }

    /// The crate's `Recompositions` over decomposed scalars with their changes.
    private static func recomposed(_ input: [(scalar: Unicode.Scalar, change: Int, ccc: UInt8)]) -> [(Unicode.Scalar, Int)] {
        let tables = CharacterTables.shared
        var out = [(Unicode.Scalar, Int)]()
        out.reserveCapacity(input.count)
        var composee: (Unicode.Scalar, Int)?
        var buffer = [(Unicode.Scalar, Int)]()
        var lastClass: UInt8?
        for (ch, change, chClass) in input {
            guard let k = composee else {
                if chClass != 0 {
                    out.append((ch, change))
                } else {
                    composee = (ch, change)
                }
                continue
            }
            if let l = lastClass {
                if l >= chClass {
                    // `ch` is blocked from the composee.
                    if chClass == 0 {
                        out.append(k)
                        out.append(contentsOf: buffer)
                        buffer.removeAll(keepingCapacity: true)
                        composee = (ch, change)
                        lastClass = nil
                    } else {
                        buffer.append((ch, change))
                        lastClass = chClass
                    }
                    continue
                }
            }
            if tables.classOf(ch).contains(.composesAsSecond), let r = tables.composition(k.0, ch) {
                composee = (r, k.1 + change - 1)
                continue
            }
            if lastClass == nil && chClass == 0 {
                out.append(k)
                composee = (ch, change)
                continue
            }
            buffer.append((ch, change))
            lastClass = chClass
        }
        if let k = composee { out.append(k) }
        out.append(contentsOf: buffer)
        return out
    }

    /// Inserts `text` before the first scalar, as `NormalizedString::prepend`: the new scalars share the first
    /// scalar's alignment. Nothing happens to an empty string.
    public mutating func prepend(_ text: String) {
        guard let first = scalars.first else { return }
        var changes = [(Unicode.Scalar, Int)]()
        for (i, s) in text.unicodeScalars.enumerated() { changes.append((s, i == 0 ? 0 : 1)) }
        guard !changes.isEmpty else { return }
        changes.append((first, 1))
        changes.append(contentsOf: scalars.dropFirst().lazy.map { ($0, 0) })
        transform(changes)
    }

    /// Replaces the scalars `ranges` (sorted, disjoint) by `content`, as `NormalizedString::replace`: the new scalars
    /// take the alignment of the last replaced scalar (of the scalar before, for an empty range).
    mutating func replace(_ ranges: [Range<Int>], with content: [Unicode.Scalar]) {
        guard !ranges.isEmpty else { return }
        var newScalars = [Unicode.Scalar]()
        var newAlignments = Alignments()
        newScalars.reserveCapacity(scalars.count)
        newAlignments.reserveCapacity(scalars.count)
        var last = 0
        for r in ranges {
            newScalars.append(contentsOf: scalars[last..<r.lowerBound])
            newAlignments.append(contentsOf: alignments[last..<r.lowerBound])
            let alignment = r.upperBound >= 1
                ? alignments[r.upperBound - 1]
                : originalRange.lowerBound..<originalRange.lowerBound
            for c in content {
                newScalars.append(c)
                newAlignments.append(alignment)
            }
            last = r.upperBound
        }
        newScalars.append(contentsOf: scalars[last...])
        newAlignments.append(contentsOf: alignments[last...])
        scalars = newScalars
        alignments = newAlignments
    }

    /// Keeps the scalars `range` only, with their alignments.
    mutating func keep(_ range: Range<Int>) {
        guard range != scalars.indices else { return }
        scalars = Array(scalars[range])
        alignments = alignments.slice(range)
    }
}
