import Checkpoints
import Foundation

/// Examples for sequence classification (single-label, multi-label or regression), read from a
/// TSV, CSV or JSON Lines file.
///
/// ```swift
/// let train = try ClassificationDataset.read(URL(fileURLWithPath: "sst2/train.tsv"))
/// let labels = train.labelSet()                       // ["0", "1"]
/// let dev = try ClassificationDataset.read(URL(fileURLWithPath: "sst2/dev.tsv"), labels: labels)
/// let ids = try dev.labelIDs(in: labels)              // [0, 0, 1, …]
/// ```
public struct ClassificationDataset: Sendable, Hashable {
    /// The file the examples came from, as given, for messages; or a name for data made in memory.
    public var source: String
    /// The examples, in file order.
    public var examples: [ClassificationExample]
    /// What the labels are.
    public var labelKind: LabelKind
    /// The columns the examples were read from, when read from a table.
    public var columns: ClassificationColumns.Resolved?

    public init(examples: [ClassificationExample], labelKind: LabelKind = .single, source: String = "<memory>",
                columns: ClassificationColumns.Resolved? = nil) {
        self.examples = examples
        self.labelKind = labelKind
        self.source = source
        self.columns = columns
    }

    /// The number of examples.
    public var count: Int { examples.count }

    /// Reads the examples of a table file.
    ///
    /// - Parameters:
    ///   - url: a `.tsv`, `.csv`, `.jsonl` or `.json` (JSON Lines) file with a header row (or keys).
    ///   - format: the format, overriding the one the extension names.
    ///   - columns: which columns hold text, pair and label; found automatically by default.
    ///   - labelKind: what the label column holds.
    ///   - labels: the labels a model knows; when given, a label outside them is an error (use it
    ///     for evaluation data).
    /// - Throws: ``DataError`` naming the file and line for every problem in the file.
    public static func read(
        _ url: URL, format: TableFormat? = nil, columns: ClassificationColumns = .automatic,
        labelKind: LabelKind = .single, labels: LabelSet? = nil
    ) throws(DataError) -> ClassificationDataset {
        let format = if let format { format } else { try TableFormat.detect(url) }
        let file = try TextFile.read(url)
        return try read(file, format: format, columns: columns, labelKind: labelKind, labels: labels)
    }

    /// Reads examples from the text of a table, as ``read(_:format:columns:labelKind:labels:)`` does
    /// from a file; `name` stands for the file in messages.
    public static func parse(
        _ text: String, name: String, format: TableFormat, columns: ClassificationColumns = .automatic,
        labelKind: LabelKind = .single, labels: LabelSet? = nil
    ) throws(DataError) -> ClassificationDataset {
        try read(TextFile(name: name, bytes: Array(text.utf8)), format: format, columns: columns,
                 labelKind: labelKind, labels: labels)
    }

    private static func read(
        _ file: TextFile, format: TableFormat, columns: ClassificationColumns, labelKind: LabelKind, labels: LabelSet?
    ) throws(DataError) -> ClassificationDataset {
        let table = try Table.read(file, format: format)
        let (textIndex, pairIndex, labelIndex) = try columns.resolve(table.columns, file: file.name, line: table.headerLine)
        let names = table.columns
        var examples: [ClassificationExample] = []
        examples.reserveCapacity(table.rows.count)
        for row in table.rows {
            func cell(_ index: Int, _ role: String) throws(DataError) -> JSONValue {
                guard let value = row.values[index] else {
                    throw .missingColumn(file: file.name, line: row.line, role: role, expected: [names[index]], found: names)
                }
                return value
            }
            let text = try textValue(cell(textIndex, "text"), column: names[textIndex], file: file.name, line: row.line)
            let pair = try pairIndex.map { (i: Int) throws(DataError) in
                try textValue(cell(i, "pair"), column: names[i], file: file.name, line: row.line)
            }
            let label = try labelValue(cell(labelIndex, "label"), kind: labelKind, file: file.name, line: row.line)
            if let labels {
                for name in label.names where !labels.contains(name) {
                    throw .unknownLabel(file: file.name, line: row.line, label: name, known: labels.labels)
                }
            }
            examples.append(ClassificationExample(text: text, pair: pair, label: label, line: row.line))
        }
        if examples.isEmpty { throw .noExamples(file: file.name) }
        let resolved = ClassificationColumns.Resolved(text: names[textIndex], pair: pairIndex.map { names[$0] },
                                                      label: names[labelIndex])
        return ClassificationDataset(examples: examples, labelKind: labelKind, source: file.name, columns: resolved)
    }

    // MARK: Labels

    /// Labels that mix numbers and names (`1` and `positive`) are almost always two conventions
    /// in one file, which would silently make three classes out of two: refuse them, naming the
    /// first label of the rarer kind.
    /// Training data is checked so; the reader itself takes labels as they come.
    public func checkLabelsAgree() throws(DataError) {
        try Self.checkLabelsAgree(examples, file: source)
    }

    static func checkLabelsAgree(_ examples: [ClassificationExample], file: String) throws(DataError) {
        var numeric: (count: Int, first: (String, Int?)?) = (0, nil), named: (count: Int, first: (String, Int?)?) = (0, nil)
        for example in examples {
            for name in example.label.names {
                if Double(name) != nil {
                    numeric.count += 1
                    if numeric.first == nil { numeric.first = (name, example.line) }
                } else {
                    named.count += 1
                    if named.first == nil { named.first = (name, example.line) }
                }
            }
        }
        guard let n = numeric.first, let w = named.first else { return }
        let (odd, other) = numeric.count <= named.count ? (n, w) : (w, n)
        throw .invalidLabel(file: file, line: odd.1 ?? 0, value: odd.0,
                            expected: "labels of one kind: the file mixes numbers and names (\"\(other.0)\" at line \(other.1 ?? 0))")
    }

    /// The distinct labels of the examples, sorted (numerically when all are numbers); empty for
    /// regression. Build it from the training data and save it with the model.
    public func labelSet() -> LabelSet {
        LabelSet(collecting: examples.lazy.flatMap(\.label.names))
    }

    /// How many examples carry each label, in the order of ``labelSet()``.
    public func labelCounts() -> [(label: String, count: Int)] {
        var counts: [String: Int] = [:]
        for example in examples {
            for name in example.label.names { counts[name, default: 0] += 1 }
        }
        return labelSet().labels.map { ($0, counts[$0]!) }
    }

    /// Checks that every label is in `labels`.
    ///
    /// - Throws: ``DataError/unknownLabel(file:line:label:known:)`` for the first that is not.
    public func validate(against labels: LabelSet) throws(DataError) {
        for example in examples {
            for name in example.label.names where !labels.contains(name) {
                throw unknown(name, example, labels)
            }
        }
    }

    /// The id of each example's label (single-label data).
    ///
    /// - Precondition: ``labelKind`` is ``LabelKind/single``.
    /// - Throws: ``DataError/unknownLabel(file:line:label:known:)`` for a label not in `labels`.
    public func labelIDs(in labels: LabelSet) throws(DataError) -> [Int] {
        precondition(labelKind == .single, "labelIDs(in:) is for single-label data; this is \(labelKind)")
        var ids: [Int] = []
        ids.reserveCapacity(examples.count)
        for example in examples {
            let name = example.label.name!
            guard let id = labels.id(of: name) else { throw unknown(name, example, labels) }
            ids.append(id)
        }
        return ids
    }

    /// Each example's labels as a multi-hot row of `labels.count` zeros and ones (multi-label data;
    /// single-label data gives one-hot rows).
    ///
    /// - Precondition: ``labelKind`` is not ``LabelKind/regression``.
    /// - Throws: ``DataError/unknownLabel(file:line:label:known:)`` for a label not in `labels`.
    public func multiHotTargets(in labels: LabelSet) throws(DataError) -> [[Float]] {
        precondition(labelKind != .regression, "multiHotTargets(in:) is for classification data")
        var rows: [[Float]] = []
        rows.reserveCapacity(examples.count)
        for example in examples {
            var row = [Float](repeating: 0, count: labels.count)
            for name in example.label.names {
                guard let id = labels.id(of: name) else { throw unknown(name, example, labels) }
                row[id] = 1
            }
            rows.append(row)
        }
        return rows
    }

    /// The target of each example (regression data).
    ///
    /// - Precondition: ``labelKind`` is ``LabelKind/regression``.
    public func regressionTargets() -> [Float] {
        precondition(labelKind == .regression, "regressionTargets() is for regression data; this is \(labelKind)")
        return examples.map { $0.label.value! }
    }

    private func unknown(_ name: String, _ example: ClassificationExample, _ labels: LabelSet) -> DataError {
        .unknownLabel(file: source, line: example.line ?? 0, label: name, known: labels.labels)
    }

    // MARK: Cells

    static func textValue(_ value: JSONValue, column: String, file: String, line: Int) throws(DataError) -> String {
        switch value {
        case .string(let text):
            if text.allSatisfy(\.isWhitespace) { throw .emptyText(file: file, line: line, column: column) }
            return text
        case .null:
            throw .emptyText(file: file, line: line, column: column)
        default:
            throw .malformedRow(file: file, line: line, expected: "a string in column \"\(column)\"", found: value.kindName)
        }
    }

    private static func labelValue(_ value: JSONValue, kind: LabelKind, file: String, line: Int) throws(DataError) -> ClassificationExample.Label {
        switch kind {
        case .single:
            guard let name = scalarName(value), !name.isEmpty else {
                throw .invalidLabel(file: file, line: line, value: displayed(value), expected: "a class name")
            }
            return .single(try LabelName.checked(name, file: file, line: line))
        case .multiple(let separator):
            var names: [String] = []
            switch value {
            case .null:
                break
            case .string(let text):
                names = separator.isEmpty ? [trimmed(text)]
                    : text.components(separatedBy: separator).map(trimmed)
            case .array(let items):
                for item in items {
                    guard let name = scalarName(item), !name.isEmpty else {
                        throw .invalidLabel(file: file, line: line, value: displayed(item), expected: "a class name")
                    }
                    names.append(name)
                }
            default:
                guard let name = scalarName(value) else {
                    throw .invalidLabel(file: file, line: line, value: displayed(value),
                                        expected: "a list of class names joined by \"\(separator)\" or a JSON array")
                }
                names = [name]
            }
            var seen = Set<String>(), checked: [String] = []
            for name in names where !name.isEmpty {
                let name = try LabelName.checked(name, file: file, line: line)
                if seen.insert(name).inserted { checked.append(name) }
            }
            return .multiple(checked)
        case .regression:
            let number: Double?
            switch value {
            case .int(let i): number = Double(i)
            case .double(let d): number = d
            case .string(let s): number = Double(trimmed(s))
            default: number = nil
            }
            guard let number, number.isFinite, let float = Float(exactly: Float(number)), float.isFinite else {
                throw .invalidLabel(file: file, line: line, value: displayed(value), expected: "a finite number")
            }
            return .value(float)
        }
    }

    /// A class name from a string (trimmed), integer or boolean; nil for anything else.
    private static func scalarName(_ value: JSONValue) -> String? {
        switch value {
        case .string(let s): return trimmed(s)
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .bool(let b): return String(b)
        default: return nil
        }
    }

    private static func displayed(_ value: JSONValue) -> String {
        if case .string(let s) = value { return s }
        return value.serialized(indent: nil)
    }

    private static func trimmed(_ s: String) -> String {
        guard let first = s.first, let last = s.last else { return s }
        if !first.isWhitespace && !last.isWhitespace { return s }
        return s.trimmingCharacters(in: .whitespaces)
    }
}
