import Foundation

/// A problem in a data set file: every case names the file, the line when there is one, and what
/// was expected, so the message alone tells a user what to fix:
///
/// ```
/// data/dev.tsv:17: unknown label "neutral"; the model knows: negative, positive
/// ```
///
/// Lines are 1-based and count every line of the file, the header and blank lines included. For a
/// quoted CSV field that spans several lines, the line is the one where its record starts.
public enum DataError: Error, Sendable, Equatable, CustomStringConvertible, LocalizedError {
    /// The file does not exist or cannot be read; `reason` is the system's message.
    case unreadable(file: String, reason: String)
    /// The format cannot be told from the file's extension; name it explicitly.
    case unknownFormat(file: String, found: String, expected: [String])
    /// The file holds nothing: no header, no rows, no sentences.
    case emptyFile(file: String)
    /// The file has a header (or only comments) but no example.
    case noExamples(file: String)
    /// The bytes of this line are not valid UTF-8.
    case invalidEncoding(file: String, line: Int)
    /// A row or line cannot be read: a wrong number of fields, an unterminated quote, invalid JSON, a
    /// value of the wrong type.
    case malformedRow(file: String, line: Int, expected: String, found: String)
    /// A needed column is absent. `role` says what it was for (`text`, `pair`, `label`); `expected`
    /// lists the names that were looked for and `found` the columns the file has.
    case missingColumn(file: String, line: Int, role: String, expected: [String], found: [String])
    /// A label (or tag) that the label set does not hold, such as a dev label never seen in training.
    case unknownLabel(file: String, line: Int, label: String, known: [String])
    /// A label that cannot be read as the task needs, such as a regression target that is not a number.
    case invalidLabel(file: String, line: Int, value: String, expected: String)
    /// The text (or text pair) of an example is empty or only white space.
    case emptyText(file: String, line: Int, column: String)

    /// The file the error is about.
    public var file: String {
        switch self {
        case .unreadable(let file, _), .unknownFormat(let file, _, _), .emptyFile(let file),
             .noExamples(let file), .invalidEncoding(let file, _), .malformedRow(let file, _, _, _),
             .missingColumn(let file, _, _, _, _), .unknownLabel(let file, _, _, _),
             .invalidLabel(let file, _, _, _), .emptyText(let file, _, _):
            return file
        }
    }

    /// The 1-based line the error is about, when it is about one. (A case's line is 0 for data
    /// made in memory, which has no lines; this is then nil.)
    public var line: Int? {
        switch self {
        case .unreadable, .unknownFormat, .emptyFile, .noExamples: return nil
        case .invalidEncoding(_, let line), .malformedRow(_, let line, _, _), .missingColumn(_, let line, _, _, _),
             .unknownLabel(_, let line, _, _), .invalidLabel(_, let line, _, _), .emptyText(_, let line, _):
            return line > 0 ? line : nil
        }
    }

    /// The problem without the file and line.
    public var message: String {
        switch self {
        case .unreadable(_, let reason):
            return reason
        case .unknownFormat(_, let found, let expected):
            let what = found.isEmpty ? "no extension" : "extension \"\(found)\""
            return "cannot tell the format from \(what); expected one of \(expected.joined(separator: ", ")), or name the format explicitly"
        case .emptyFile:
            return "the file is empty"
        case .noExamples:
            return "the file holds no examples"
        case .invalidEncoding:
            return "the line is not valid UTF-8"
        case .malformedRow(_, _, let expected, let found):
            return "expected \(expected), found \(found)"
        case .missingColumn(_, _, let role, let expected, let found):
            let looked = expected.count == 1 ? "\"\(expected[0])\"" : "one of " + expected.map { "\"\($0)\"" }.joined(separator: ", ")
            return "no \(role) column: looked for \(looked); the columns are \(found.map { "\"\($0)\"" }.joined(separator: ", "))"
        case .unknownLabel(_, _, let label, let known):
            let shown = known.count <= 20 ? known.joined(separator: ", ") : known.prefix(20).joined(separator: ", ") + ", … (\(known.count) in all)"
            return "unknown label \"\(label)\"; the labels known are: \(shown)"
        case .invalidLabel(_, _, let value, let expected):
            return "label \"\(value)\" is not \(expected)"
        case .emptyText(_, _, let column):
            return "column \"\(column)\" is empty"
        }
    }

    /// `file:line: message`, as compilers write it.
    public var description: String {
        if let line { return "\(file):\(line): \(message)" }
        return "\(file): \(message)"
    }

    public var errorDescription: String? { description }
}
