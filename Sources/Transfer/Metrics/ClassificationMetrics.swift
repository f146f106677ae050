import Foundation

/// How well single-label predictions match the gold labels: accuracy, per-class and averaged
/// precision, recall and F1, and the confusion matrix.
public struct ClassificationMetrics: Sendable, Hashable, Codable {
    /// The number of examples.
    public var count: Int
    /// The fraction predicted correctly (0 for no examples).
    public var accuracy: Double
    /// Unweighted means over the classes that occur in the gold labels or the predictions.
    public var macro: AveragedScores
    /// Means over the classes weighted by their support.
    public var weighted: AveragedScores
    /// The scores of every class of the label set, in id order.
    public var perClass: [ClassScores]
    /// Gold × predicted counts.
    public var confusion: ConfusionMatrix

    /// Compares predicted with gold label ids.
    ///
    /// - Precondition: both have the same length and every id is in `0..<labels.count`.
    public init(predicted: [Int], gold: [Int], labels: LabelSet) {
        let confusion = ConfusionMatrix(gold: gold, predicted: predicted, labels: labels.labels)
        let scores = confusion.scores()
        self.count = gold.count
        self.accuracy = ratio(confusion.correct, gold.count)
        self.perClass = scores
        self.macro = .macro(scores.filter { $0.support > 0 || $0.predicted > 0 })
        self.weighted = .weighted(scores)
        self.confusion = confusion
    }

    /// Compares predicted with gold labels by name; the label set is `labels`, or else the labels
    /// that occur in either, sorted as ``LabelSet/init(collecting:)`` sorts them.
    ///
    /// - Precondition: both have the same length and, with `labels`, every label is in it.
    public init(predicted: [String], gold: [String], labels: LabelSet? = nil) {
        let labels = labels ?? LabelSet(collecting: gold + predicted)
        func ids(_ names: [String]) -> [Int] {
            names.map { name in
                guard let id = labels.id(of: name) else { preconditionFailure("label \"\(name)\" is not in the label set") }
                return id
            }
        }
        self.init(predicted: ids(predicted), gold: ids(gold), labels: labels)
    }
}
