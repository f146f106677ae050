import Foundation

/// Counts of (gold, predicted) label pairs.
///
/// Only the pairs that occur are stored, so a label set of 10,000 costs what its examples cost, not
/// 10,000² counts. In JSON, up to ``denseLabelLimit`` labels give the whole matrix (`counts`, a row
/// per gold label); more give only the pairs that occur (`cells`: `[gold, predicted, count]` label ids).
public struct ConfusionMatrix: Sendable, Hashable, Codable {
    /// The labels, in id order; they name both the rows (gold) and the columns (predicted).
    public let labels: [String]
    /// How many examples of each (gold, predicted) pair of label ids were counted; absent pairs are 0.
    private var cells: [Pair: Int] = [:]

    /// The largest label set whose JSON is the whole matrix.
    public static let denseLabelLimit = 100

    private struct Pair: Hashable, Sendable, Comparable {
        var gold: Int
        var predicted: Int
        static func < (a: Pair, b: Pair) -> Bool { (a.gold, a.predicted) < (b.gold, b.predicted) }
    }

    /// An empty matrix over `labels`.
    public init(labels: [String]) {
        self.labels = labels
    }

    /// The matrix of `gold` and `predicted` label ids.
    ///
    /// - Precondition: both have the same length, and every id is in `0..<labels.count`.
    public init(gold: [Int], predicted: [Int], labels: [String]) {
        precondition(gold.count == predicted.count, "\(gold.count) gold labels but \(predicted.count) predictions")
        self.init(labels: labels)
        for (g, p) in zip(gold, predicted) { add(gold: g, predicted: p) }
    }

    /// Counts one example.
    public mutating func add(gold: Int, predicted: Int) {
        precondition(labels.indices.contains(gold) && labels.indices.contains(predicted),
                     "label ids (\(gold), \(predicted)) outside 0..<\(labels.count)")
        cells[Pair(gold: gold, predicted: predicted), default: 0] += 1
    }

    /// How many examples of gold label `gold` were predicted as `predicted`.
    public func count(gold: Int, predicted: Int) -> Int { cells[Pair(gold: gold, predicted: predicted)] ?? 0 }

    /// The whole matrix: `counts[g][p]` is how many examples of gold label `g` were predicted as `p`.
    /// It has `labels.count²` entries; ``count(gold:predicted:)`` reads one without building it.
    public var counts: [[Int]] {
        var rows = Array(repeating: Array(repeating: 0, count: labels.count), count: labels.count)
        for (pair, n) in cells { rows[pair.gold][pair.predicted] = n }
        return rows
    }

    /// The number of examples counted.
    public var total: Int { cells.values.reduce(0, +) }

    /// The number counted on the diagonal: correct predictions.
    public var correct: Int { cells.reduce(0) { $0 + ($1.key.gold == $1.key.predicted ? $1.value : 0) } }

    /// Precision, recall and F1 of every label, in id order.
    public func scores() -> [ClassScores] {
        var truePositives = Array(repeating: 0, count: labels.count)
        var predicted = truePositives, gold = truePositives
        for (pair, n) in cells {
            gold[pair.gold] += n
            predicted[pair.predicted] += n
            if pair.gold == pair.predicted { truePositives[pair.gold] += n }
        }
        return labels.indices.map { k in
            ClassScores(label: labels[k], truePositives: truePositives[k], falsePositives: predicted[k] - truePositives[k],
                        falseNegatives: gold[k] - truePositives[k])
        }
    }

    /// The matrix as a Markdown table: a row per gold label, a column per predicted label.
    public var markdown: String {
        MarkdownTable(header: ["gold \\ predicted"] + labels,
                      rows: zip(labels, counts).map { [$0] + $1.map(String.init) },
                      rightAligned: Set(1...max(1, labels.count))).text
    }

    private enum CodingKeys: String, CodingKey { case labels, counts, cells }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(labels, forKey: .labels)
        if labels.count <= Self.denseLabelLimit {
            try container.encode(counts, forKey: .counts)
        } else {
            try container.encode(cells.keys.sorted().map { [$0.gold, $0.predicted, cells[$0]!] }, forKey: .cells)
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(labels: try container.decode([String].self, forKey: .labels))
        let n = labels.count
        func checked(_ gold: Int, _ predicted: Int, _ count: Int, _ key: CodingKeys) throws {
            guard (0..<n).contains(gold), (0..<n).contains(predicted), count >= 0 else {
                throw DecodingError.dataCorruptedError(forKey: key, in: container,
                    debugDescription: "cell (\(gold), \(predicted)) = \(count) outside \(n) labels or negative")
            }
            if count > 0 { cells[Pair(gold: gold, predicted: predicted)] = count }
        }
        if let rows = try container.decodeIfPresent([[Int]].self, forKey: .counts) {
            guard rows.count == n, rows.allSatisfy({ $0.count == n }) else {
                throw DecodingError.dataCorruptedError(forKey: .counts, in: container,
                    debugDescription: "counts is not \(n) × \(n)")
            }
            for (g, row) in rows.enumerated() { for (p, count) in row.enumerated() { try checked(g, p, count, .counts) } }
        } else {
            for cell in try container.decode([[Int]].self, forKey: .cells) {
                guard cell.count == 3 else {
                    throw DecodingError.dataCorruptedError(forKey: .cells, in: container,
                        debugDescription: "a cell is [gold, predicted, count], not \(cell)")
                }
                try checked(cell[0], cell[1], cell[2], .cells)
            }
        }
    }
}
