import Foundation
import Tokenizers

/// A data file read for a task: a table of texts (classification, regression, multi-label) or
/// tagged sentences (tagging).
public enum TaskData: Sendable {
    case sequences(ClassificationDataset)
    case tagging(TaggingDataset)
    case questions(QuestionDataset)

    /// Reads `url` for `task`. Evaluation data passes the model's `labels`, so that an unknown
    /// label is an error naming the file and line.
    public static func read(_ url: URL, task: TaskKind, columns: ClassificationColumns = .automatic,
                            tagging format: TaggingFormat? = nil, multiLabelSeparator: String = "|",
                            labels: LabelSet? = nil, skipBadExamples: Bool = false) throws -> TaskData {
        switch task {
        case .questionAnswering:
            return .questions(try QuestionDataset.read(url, skipBadAnswers: skipBadExamples))
        case .tagging:
            return .tagging(try TaggingDataset.read(url, format: format, tags: labels))
        case .classification:
            let data = try ClassificationDataset.read(url, columns: columns, labelKind: .single, labels: labels)
            // Training data makes the label set: `1` and `positive` in one file would be three classes.
            if labels == nil { try data.checkLabelsAgree() }
            return .sequences(data)
        case .regression:
            return .sequences(try ClassificationDataset.read(url, columns: columns, labelKind: .regression))
        case .multiLabel:
            return .sequences(try ClassificationDataset.read(url, columns: columns, labelKind: .multiple(separator: multiLabelSeparator), labels: labels))
        }
    }

    public var count: Int {
        switch self {
        case .sequences(let d): return d.count
        case .tagging(let d): return d.count
        case .questions(let d): return d.count
        }
    }

    /// The labels found in the data, in id order.
    public var labels: [String] {
        switch self {
        case .sequences(let d): return d.labelSet().labels
        case .tagging(let d): return d.tagSet().labels
        case .questions: return ["start", "end"]
        }
    }

    /// Tokenized, with targets, for a model with `head`.
    public func prepared(head: HeadSettings, tokenizer: Tokenizer, maxLength: Int) throws -> PreparedData {
        switch self {
        case .sequences(let d): return try PreparedData.sequences(d, head: head, tokenizer: tokenizer, maxLength: maxLength)
        case .tagging(let d): return try PreparedData.tagging(d, head: head, tokenizer: tokenizer, maxLength: maxLength)
        case .questions(let d):
            guard head.task == .questionAnswering else {
                throw TransferError.invalidSetting("\(d.source) holds questions; a \(head.task.rawValue) head cannot train on them")
            }
            return try PreparedData.questions(d.examples, source: d.source, tokenizer: tokenizer,
                                              settings: WindowSettings(maxLength: maxLength, docStride: head.docStride ?? 128), labelled: true)
        }
    }
}
