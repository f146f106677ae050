/// For each normalized scalar, the range of original scalars it came from.
///
/// Most text leaves normalization as it came (ASCII that a lowercase map or a filter that removes nothing
/// leaves in place): scalar `i` still comes from original scalar `start + i`. Such alignments are stored as
/// that rule alone, and become a list of ranges only at the first edit that breaks it. A 100 MB line then costs
/// its 4-byte scalars, not 16 more bytes per scalar for ranges that say nothing.
public struct Alignments: RandomAccessCollection, MutableCollection, RangeReplaceableCollection, Equatable, Sendable,
    ExpressibleByArrayLiteral, CustomStringConvertible {
    /// The explicit ranges; nil while every scalar `i` is aligned with `start + i ..< start + i + 1`.
    private var ranges: [Range<Int>]?
    /// The original index of scalar 0 while the rule holds (nil for an empty rule without a start yet).
    private var start: Int?
    /// The number of scalars while the rule holds.
    private var identityCount = 0

    /// No alignments.
    public init() {}

    /// Each of `count` scalars aligned with itself, the first with original scalar `start`.
    public init(identityFrom start: Int, count: Int) {
        self.start = start
        self.identityCount = count
    }

    public init(arrayLiteral elements: Range<Int>...) {
        self.init(elements)
    }

    public var startIndex: Int { 0 }
    public var endIndex: Int { ranges?.count ?? identityCount }

    /// Whether the ranges are still the rule `start + i` (no list stored).
    public var isIdentity: Bool { ranges == nil }

    public subscript(position: Int) -> Range<Int> {
        get {
            if let ranges { return ranges[position] }
            precondition(position >= 0 && position < identityCount, "alignment \(position) out of 0..<\(identityCount)")
            let s = start! + position
            return s..<(s + 1)
        }
        set {
            if ranges == nil {
                if newValue == self[position] { return }
                materialize()
            }
            ranges![position] = newValue
        }
    }

    /// The alignments `range`: still a rule when these are.
    public func slice(_ range: Range<Int>) -> Alignments {
        if let ranges { return Alignments(ranges: Array(ranges[range])) }
        precondition(range.lowerBound >= 0 && range.upperBound <= identityCount, "alignments \(range) out of 0..<\(identityCount)")
        return Alignments(identityFrom: (start ?? 0) + range.lowerBound, count: range.count)
    }

    private init(ranges: [Range<Int>]) {
        self.ranges = ranges
    }

    private mutating func materialize() {
        guard ranges == nil else { return }
        let s = start ?? 0
        ranges = (0..<identityCount).map { (s + $0)..<(s + $0 + 1) }
        start = nil
        identityCount = 0
    }

    public mutating func reserveCapacity(_ n: Int) {
        ranges?.reserveCapacity(n)
    }

    public mutating func replaceSubrange<C: Collection<Range<Int>>>(_ subrange: Range<Int>, with newElements: C) {
        if ranges == nil && subrange.upperBound == identityCount {
            // At the end, the rule survives a removal, and an append that continues it.
            let base = subrange.lowerBound == 0 ? (newElements.first?.lowerBound ?? start ?? 0) : start!
            var next = base + subrange.lowerBound
            var continues = true
            for r in newElements {
                guard r == next..<(next + 1) else { continues = false; break }
                next += 1
            }
            if continues {
                start = base
                identityCount = subrange.lowerBound + newElements.count
                return
            }
        }
        materialize()
        ranges!.replaceSubrange(subrange, with: newElements)
    }

    public static func == (a: Alignments, b: Alignments) -> Bool {
        a.count == b.count && a.elementsEqual(b)
    }

    public var description: String { Array(self).description }
}
