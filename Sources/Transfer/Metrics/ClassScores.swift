import Foundation

/// Precision, recall and F1 of one class (or tag, or label), with its support.
///
/// A ratio whose denominator is zero is 0, never NaN: a class never predicted has precision 0, a
/// class absent from the gold labels has recall 0 (as scikit-learn's `zero_division=0`).
public struct ClassScores: Sendable, Hashable, Codable {
    /// The class.
    public var label: String
    /// Correct predictions of the class over all its predictions.
    public var precision: Double
    /// Correct predictions of the class over its gold occurrences.
    public var recall: Double
    /// The harmonic mean of precision and recall.
    public var f1: Double
    /// How often the class is the gold label.
    public var support: Int
    /// How often the class was predicted.
    public var predicted: Int

    public init(label: String, precision: Double, recall: Double, f1: Double, support: Int, predicted: Int) {
        self.label = label
        self.precision = precision
        self.recall = recall
        self.f1 = f1
        self.support = support
        self.predicted = predicted
    }

    /// The scores of a class from its counts.
    public init(label: String, truePositives: Int, falsePositives: Int, falseNegatives: Int) {
        let precision = ratio(truePositives, truePositives + falsePositives)
        let recall = ratio(truePositives, truePositives + falseNegatives)
        self.init(label: label, precision: precision, recall: recall, f1: harmonicMean(precision, recall),
                  support: truePositives + falseNegatives, predicted: truePositives + falsePositives)
    }
}

/// Precision, recall and F1 averaged over classes.
public struct AveragedScores: Sendable, Hashable, Codable {
    /// Averaged precision.
    public var precision: Double
    /// Averaged recall.
    public var recall: Double
    /// Averaged F1 (for macro averages, the mean of the per-class F1s, not the F1 of the means).
    public var f1: Double

    public init(precision: Double, recall: Double, f1: Double) {
        self.precision = precision
        self.recall = recall
        self.f1 = f1
    }

    /// The unweighted mean over `scores` of each of precision, recall and F1 (scikit-learn's
    /// `average="macro"`); zeros when `scores` is empty.
    public static func macro(_ scores: [ClassScores]) -> AveragedScores {
        guard !scores.isEmpty else { return AveragedScores(precision: 0, recall: 0, f1: 0) }
        let n = Double(scores.count)
        return AveragedScores(precision: scores.reduce(0) { $0 + $1.precision } / n,
                              recall: scores.reduce(0) { $0 + $1.recall } / n,
                              f1: scores.reduce(0) { $0 + $1.f1 } / n)
    }

    /// The mean weighted by support (scikit-learn's `average="weighted"`).
    public static func weighted(_ scores: [ClassScores]) -> AveragedScores {
        let total = scores.reduce(0) { $0 + $1.support }
        guard total > 0 else { return AveragedScores(precision: 0, recall: 0, f1: 0) }
        func mean(_ value: (ClassScores) -> Double) -> Double {
            scores.reduce(0) { $0 + value($1) * Double($1.support) } / Double(total)
        }
        return AveragedScores(precision: mean(\.precision), recall: mean(\.recall), f1: mean(\.f1))
    }

    /// Scores from counts summed over classes (scikit-learn's `average="micro"`).
    public static func micro(truePositives: Int, falsePositives: Int, falseNegatives: Int) -> AveragedScores {
        let precision = ratio(truePositives, truePositives + falsePositives)
        let recall = ratio(truePositives, truePositives + falseNegatives)
        return AveragedScores(precision: precision, recall: recall, f1: harmonicMean(precision, recall))
    }
}

/// `numerator / denominator`, or 0 when the denominator is 0.
func ratio(_ numerator: Int, _ denominator: Int) -> Double {
    denominator == 0 ? 0 : Double(numerator) / Double(denominator)
}

/// 2pr / (p + r), or 0 when both are 0.
func harmonicMean(_ p: Double, _ r: Double) -> Double {
    p + r == 0 ? 0 : 2 * p * r / (p + r)
}
