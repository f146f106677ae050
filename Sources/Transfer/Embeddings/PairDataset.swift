import Foundation

/// Training pairs for an embedding model: an anchor (a question, a query), its positive (the passage
/// that answers it) and, optionally, a hard negative (a passage that does not). Read from a table with
/// a header: TSV, CSV or JSON Lines with the columns `anchor`, `positive` and optionally `negative`
/// (when two columns have other names, the first is the anchor and the second the positive).
public struct PairDataset: Sendable {
    public struct Pair: Sendable, Equatable {
        public var anchor: String
        public var positive: String
        public var negative: String?
        /// The 1-based line of the file it came from (0 when made in memory).
        public var line: Int

        public init(anchor: String, positive: String, negative: String? = nil, line: Int = 0) {
            self.anchor = anchor
            self.positive = positive
            self.negative = negative
            self.line = line
        }
    }

    public var pairs: [Pair]
    /// The file, for messages.
    public var source: String

    public init(pairs: [Pair], source: String = "pairs") {
        self.pairs = pairs
        self.source = source
    }

    public var count: Int { pairs.count }
    /// Whether every pair has a hard negative (it is all or none).
    public var hasNegatives: Bool { pairs.first?.negative != nil }

    /// Reads a pairs file.
    ///
    /// - Throws: ``DataError`` naming the file and line: a missing column, an empty side
    ///   (``DataError/emptyText(file:line:column:)``), a negative on some rows only, no pairs.
    public static func read(_ url: URL) throws(DataError) -> PairDataset {
        let file = try TextFile.read(url)
        let table = try Table.read(file, format: TableFormat.detect(url))
        let names = table.columns
        func column(_ name: String) -> Int? { table.index(of: name) }
        var anchor = column("anchor"), positive = column("positive")
        let negative = column("negative")
        if anchor == nil && positive == nil && names.count == 2 { (anchor, positive) = (0, 1) }
        guard let anchor else {
            throw .missingColumn(file: file.name, line: table.headerLine, role: "anchor", expected: ["anchor"], found: names)
        }
        guard let positive else {
            throw .missingColumn(file: file.name, line: table.headerLine, role: "positive", expected: ["positive"], found: names)
        }
        var pairs: [Pair] = []
        pairs.reserveCapacity(table.rows.count)
        for row in table.rows {
            func text(_ index: Int) throws(DataError) -> String {
                try ClassificationDataset.textValue(row.values[index] ?? .null, column: names[index], file: file.name, line: row.line)
            }
            pairs.append(Pair(anchor: try text(anchor), positive: try text(positive),
                              negative: try negative.map { (i: Int) throws(DataError) in try text(i) }, line: row.line))
        }
        if pairs.isEmpty { throw .noExamples(file: file.name) }
        return PairDataset(pairs: pairs, source: file.name)
    }
}
