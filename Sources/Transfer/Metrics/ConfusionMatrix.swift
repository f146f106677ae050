import Foundation

/// Counts of (gold, predicted) label pairs: `counts[gold][predicted]`.
public struct ConfusionMatrix: Sendable, Hashable, Codable {
    /// The labels, in id order; they name both the rows (gold) and the columns (predicted).
    public var labels: [String]
    /// `counts[g][p]` is how many examples of gold label `g` were predicted as `p`.
    public var counts: [[Int]]

    /// An empty matrix over `labels`.
    public init(labels: [String]) {
        self.labels = labels
        self.counts = Array(repeating: Array(repeating: 0, count: labels.count), count: labels.count)
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
        counts[gold][predicted] += 1
    }

    /// The number of examples counted.
    public var total: Int { counts.reduce(0) { $0 + $1.reduce(0, +) } }

    /// The number counted on the diagonal: correct predictions.
    public var correct: Int { labels.indices.reduce(0) { $0 + counts[$1][$1] } }

    /// Precision, recall and F1 of every label, in id order.
    public func scores() -> [ClassScores] {
        labels.indices.map { k in
            let tp = counts[k][k]
            let predicted = labels.indices.reduce(0) { $0 + counts[$1][k] }
            let gold = counts[k].reduce(0, +)
            return ClassScores(label: labels[k], truePositives: tp, falsePositives: predicted - tp, falseNegatives: gold - tp)
        }
    }

    /// The matrix as a Markdown table: a row per gold label, a column per predicted label.
    public var markdown: String {
        MarkdownTable(header: ["gold \\ predicted"] + labels,
                      rows: labels.indices.map { [labels[$0]] + counts[$0].map(String.init) },
                      rightAligned: Set(1...max(1, labels.count))).text
    }
}
