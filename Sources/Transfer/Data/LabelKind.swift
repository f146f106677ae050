import Foundation

/// What the label column of a classification file holds.
public enum LabelKind: Sendable, Hashable, Codable {
    /// One class name per example (`positive`, `0`, `contradiction`).
    case single
    /// Any number of class names per example. In TSV and CSV the names are joined by `separator`
    /// (`sports|politics`); in JSON Lines the label is an array of names, or a string joined by
    /// `separator`. An empty label means no class.
    case multiple(separator: String = "|")
    /// A real number per example (a similarity score, a rating).
    case regression

    /// The Hugging Face `problem_type` of a model trained on such labels.
    public var problemType: String {
        switch self {
        case .single: return "single_label_classification"
        case .multiple: return "multi_label_classification"
        case .regression: return "regression"
        }
    }

    /// The kind for a Hugging Face `problem_type`, with multi-label names joined by `separator`.
    public init?(problemType: String, separator: String = "|") {
        switch problemType {
        case "single_label_classification": self = .single
        case "multi_label_classification": self = .multiple(separator: separator)
        case "regression": self = .regression
        default: return nil
        }
    }
}
