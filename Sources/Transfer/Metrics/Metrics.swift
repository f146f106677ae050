import Foundation

/// A named metric value, as an evaluation reports it and a training history records it.
public struct MetricValue: Sendable, Hashable, Codable {
    /// A snake_case name: `accuracy`, `macro_f1`, `pearson`, …
    public var name: String
    public var value: Double
    /// Whether a larger value is better (false for errors such as `mse`).
    public var higherIsBetter: Bool

    public init(name: String, value: Double, higherIsBetter: Bool = true) {
        self.name = name
        self.value = value
        self.higherIsBetter = higherIsBetter
    }
}

/// The result of evaluating a model on one task, whichever task it is.
///
/// Encodes to JSON as the task's metrics with a `"task"` key added
/// (`{"task": "classification", "accuracy": 0.91, …}`), and renders as Markdown tables with
/// ``markdown``. ``summary`` gives the headline numbers by name, for a training history.
public enum Metrics: Sendable, Hashable, Codable {
    /// Single-label sequence classification.
    case classification(ClassificationMetrics)
    /// Multi-label sequence classification.
    case multiLabel(MultiLabelMetrics)
    /// Sequence regression.
    case regression(RegressionMetrics)
    /// Token classification (tagging).
    case tagging(TaggingMetrics)
    /// Extractive question answering (SQuAD's exact match and F1).
    case questionAnswering(QuestionAnsweringMetrics)

    /// The task's name in JSON: `classification`, `multi_label`, `regression`, `tagging`.
    public var task: String {
        switch self {
        case .classification: return "classification"
        case .multiLabel: return "multi_label"
        case .regression: return "regression"
        case .tagging: return "tagging"
        case .questionAnswering: return "question_answering"
        }
    }

    /// The number of examples (words, for tagging) evaluated.
    public var count: Int {
        switch self {
        case .classification(let m): return m.count
        case .multiLabel(let m): return m.count
        case .regression(let m): return m.count
        case .tagging(let m): return m.tokenCount
        case .questionAnswering(let m): return m.count
        }
    }

    /// The headline numbers, the ``primary`` one first.
    public var summary: [MetricValue] {
        switch self {
        case .classification(let m):
            return [MetricValue(name: "accuracy", value: m.accuracy),
                    MetricValue(name: "macro_f1", value: m.macro.f1),
                    MetricValue(name: "macro_precision", value: m.macro.precision),
                    MetricValue(name: "macro_recall", value: m.macro.recall),
                    MetricValue(name: "weighted_f1", value: m.weighted.f1)]
        case .multiLabel(let m):
            return [MetricValue(name: "micro_f1", value: m.micro.f1),
                    MetricValue(name: "exact_match", value: m.exactMatch),
                    MetricValue(name: "micro_precision", value: m.micro.precision),
                    MetricValue(name: "micro_recall", value: m.micro.recall),
                    MetricValue(name: "macro_f1", value: m.macro.f1),
                    MetricValue(name: "hamming_loss", value: m.hammingLoss, higherIsBetter: false)]
        case .regression(let m):
            var values: [MetricValue] = []
            if let r = m.pearson { values.append(MetricValue(name: "pearson", value: r)) }
            if let r = m.spearman { values.append(MetricValue(name: "spearman", value: r)) }
            values.append(MetricValue(name: "mse", value: m.mse, higherIsBetter: false))
            values.append(MetricValue(name: "mae", value: m.mae, higherIsBetter: false))
            return values
        case .tagging(let m):
            var values: [MetricValue] = []
            if let s = m.spans {
                values += [MetricValue(name: "span_f1", value: s.f1), MetricValue(name: "span_precision", value: s.precision),
                           MetricValue(name: "span_recall", value: s.recall)]
            }
            values += [MetricValue(name: "token_accuracy", value: m.tokenAccuracy),
                       MetricValue(name: "macro_f1", value: m.macro.f1)]
            return values
        case .questionAnswering(let m):
            return [MetricValue(name: "f1", value: m.f1), MetricValue(name: "exact_match", value: m.exactMatch)]
        }
    }

    /// The names ``summary`` can hold for a task: what a training run may choose its model by
    /// (span metrics only appear for entity tags such as `B-PER`).
    public static func names(for task: TaskKind) -> [String] {
        switch task {
        case .classification: return ["accuracy", "macro_f1", "macro_precision", "macro_recall", "weighted_f1"]
        case .multiLabel: return ["micro_f1", "exact_match", "micro_precision", "micro_recall", "macro_f1", "hamming_loss"]
        case .regression: return ["pearson", "spearman", "mse", "mae"]
        case .tagging: return ["span_f1", "span_precision", "span_recall", "token_accuracy", "macro_f1"]
        case .questionAnswering: return ["f1", "exact_match"]
        }
    }

    /// The number to choose models by: accuracy; micro F1 (multi-label); Pearson's correlation, or
    /// the mean squared error when it is undefined (regression); entity F1 for entity tags, else
    /// token accuracy (tagging).
    public var primary: MetricValue { summary[0] }

    /// The summary as a dictionary, for a training history.
    public var values: [String: Double] {
        Dictionary(summary.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
    }

    /// Markdown: a table of the ``summary``, then a table per class (or tag, or entity type), then,
    /// for classification with at most `maxConfusionLabels` labels, the confusion matrix.
    public func markdown(maxConfusionLabels: Int = 20) -> String {
        var parts = [MarkdownTable(header: ["metric", "value"], rows: summary.map { [$0.name, formatted($0.value)] },
                                   rightAligned: [1]).text]
        func scoresTable(_ title: String, _ scores: [ClassScores]) -> String {
            MarkdownTable(header: [title, "precision", "recall", "f1", "support"],
                          rows: scores.map { [$0.label, formatted($0.precision), formatted($0.recall), formatted($0.f1), String($0.support)] },
                          rightAligned: [1, 2, 3, 4]).text
        }
        switch self {
        case .classification(let m):
            parts.append(scoresTable("class", m.perClass))
            if m.confusion.labels.count <= maxConfusionLabels { parts.append(m.confusion.markdown) }
        case .multiLabel(let m):
            parts.append(scoresTable("label", m.perLabel))
        case .regression:
            break
        case .tagging(let m):
            if let s = m.spans { parts.append(scoresTable("entity", s.perType)) }
            parts.append(scoresTable("tag", m.perTag))
        case .questionAnswering:
            break
        }
        return parts.joined(separator: "\n")
    }

    // MARK: Codable

    private enum TaskKey: String, CodingKey { case task }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .classification(let m): try m.encode(to: encoder)
        case .multiLabel(let m): try m.encode(to: encoder)
        case .regression(let m): try m.encode(to: encoder)
        case .tagging(let m): try m.encode(to: encoder)
        case .questionAnswering(let m): try m.encode(to: encoder)
        }
        var container = encoder.container(keyedBy: TaskKey.self)
        try container.encode(task, forKey: .task)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: TaskKey.self)
        switch try container.decode(String.self, forKey: .task) {
        case "classification": self = .classification(try ClassificationMetrics(from: decoder))
        case "multi_label": self = .multiLabel(try MultiLabelMetrics(from: decoder))
        case "regression": self = .regression(try RegressionMetrics(from: decoder))
        case "tagging": self = .tagging(try TaggingMetrics(from: decoder))
        case "question_answering": self = .questionAnswering(try QuestionAnsweringMetrics(from: decoder))
        case let other:
            throw DecodingError.dataCorruptedError(
                forKey: .task, in: container,
                debugDescription: "unknown task \"\(other)\"; expected classification, multi_label, regression or tagging")
        }
    }
}
