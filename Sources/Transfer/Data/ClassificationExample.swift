import Foundation

/// One example of a sequence classification data set: a text, optionally a second text (for pair
/// tasks such as entailment or paraphrase), and its label.
public struct ClassificationExample: Sendable, Hashable, Codable {
    /// The label of an example, as the task's ``LabelKind`` says.
    public enum Label: Sendable, Hashable, Codable {
        /// One class.
        case single(String)
        /// Any number of classes, in the order written, without repeats.
        case multiple([String])
        /// A real number.
        case value(Float)

        /// The class of a single-label example.
        public var name: String? {
            if case .single(let name) = self { return name }
            return nil
        }

        /// The classes: one for a single label, any number for multi-label, none for regression.
        public var names: [String] {
            switch self {
            case .single(let name): return [name]
            case .multiple(let names): return names
            case .value: return []
            }
        }

        /// The target of a regression example.
        public var value: Float? {
            if case .value(let value) = self { return value }
            return nil
        }
    }

    /// The text to classify.
    public var text: String
    /// The second text of a pair task, or nil.
    public var pair: String?
    /// The label.
    public var label: Label
    /// The 1-based line of the file the example was read from, if it was read from one.
    public var line: Int?

    public init(text: String, pair: String? = nil, label: Label, line: Int? = nil) {
        self.text = text
        self.pair = pair
        self.label = label
        self.line = line
    }

    /// A single-label example.
    public init(text: String, pair: String? = nil, label: String, line: Int? = nil) {
        self.init(text: text, pair: pair, label: .single(label), line: line)
    }
}
