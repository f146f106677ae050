import Foundation

/// How well predicted label sets match gold label sets, for multi-label classification.
public struct MultiLabelMetrics: Sendable, Hashable, Codable {
    /// The number of examples.
    public var count: Int
    /// The fraction of examples whose predicted set equals the gold set exactly (subset accuracy).
    public var exactMatch: Double
    /// The fraction of (example, label) decisions that are wrong.
    public var hammingLoss: Double
    /// Scores from true/false positives summed over all labels.
    public var micro: AveragedScores
    /// Unweighted means over the labels that occur in the gold sets or the predictions.
    public var macro: AveragedScores
    /// The scores of every label of the label set, in id order.
    public var perLabel: [ClassScores]

    /// Compares predicted with gold sets of label ids.
    ///
    /// - Precondition: both have the same length and every id is in `0..<labels.count`.
    public init(predicted: [Set<Int>], gold: [Set<Int>], labels: LabelSet) {
        precondition(predicted.count == gold.count, "\(gold.count) gold label sets but \(predicted.count) predictions")
        var tp = [Int](repeating: 0, count: labels.count), fp = tp, fn = tp
        var exact = 0, wrong = 0
        for (p, g) in zip(predicted, gold) {
            precondition(p.union(g).allSatisfy { labels.labels.indices.contains($0) }, "label id outside 0..<\(labels.count)")
            if p == g { exact += 1 }
            for k in p.intersection(g) { tp[k] += 1 }
            for k in p.subtracting(g) { fp[k] += 1; wrong += 1 }
            for k in g.subtracting(p) { fn[k] += 1; wrong += 1 }
        }
        count = gold.count
        exactMatch = ratio(exact, gold.count)
        hammingLoss = ratio(wrong, gold.count * labels.count)
        perLabel = labels.labels.indices.map {
            ClassScores(label: labels.labels[$0], truePositives: tp[$0], falsePositives: fp[$0], falseNegatives: fn[$0])
        }
        micro = .micro(truePositives: tp.reduce(0, +), falsePositives: fp.reduce(0, +), falseNegatives: fn.reduce(0, +))
        macro = .macro(perLabel.filter { $0.support > 0 || $0.predicted > 0 })
    }

    /// Compares predicted with gold sets of labels by name.
    ///
    /// - Precondition: both have the same length and every label is in `labels`.
    public init(predicted: [[String]], gold: [[String]], labels: LabelSet) {
        func ids(_ names: [String]) -> Set<Int> {
            Set(names.map { name in
                guard let id = labels.id(of: name) else { preconditionFailure("label \"\(name)\" is not in the label set") }
                return id
            })
        }
        self.init(predicted: predicted.map(ids), gold: gold.map(ids), labels: labels)
    }
}
