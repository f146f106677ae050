import Foundation

/// Which columns of a table hold the text, the optional second text and the label.
///
/// A nil name is found automatically (see ``resolve(_:)``); a given name must exist. Names compare
/// case-insensitively.
public struct ClassificationColumns: Sendable, Hashable, Codable {
    /// The text column, or nil to find it.
    public var text: String?
    /// The second-text column of a pair task, or nil: found only in a pair of well-known names.
    public var pair: String?
    /// The label column, or nil for `label` (then `labels`, `target`, `class`, `sentiment`).
    public var label: String?

    public init(text: String? = nil, pair: String? = nil, label: String? = nil) {
        self.text = text
        self.pair = pair
        self.label = label
    }

    /// All columns found automatically.
    public static let automatic = ClassificationColumns()

    /// Label column names tried in order when none is given.
    public static let labelCandidates = ["label", "labels", "target", "class", "sentiment"]
    /// Text column names tried in order when none is given.
    public static let textCandidates = ["text", "sentence", "content", "review", "document", "comment", "body", "tweet"]
    /// Pairs of text columns of well-known pair tasks (GLUE and others), tried before single texts.
    public static let pairCandidates: [(String, String)] = [
        ("sentence1", "sentence2"), ("question1", "question2"), ("premise", "hypothesis"),
        ("text_a", "text_b"), ("question", "sentence"), ("text", "text_pair"),
    ]

    /// The columns chosen in a table, by name as the file writes them.
    public struct Resolved: Sendable, Hashable, Codable {
        public var text: String
        public var pair: String?
        public var label: String
    }

    /// Chooses the columns among `columns` (a header, in order).
    ///
    /// The label is the given name, else the first of ``labelCandidates`` present. The text is the
    /// given name; else, with no pair given, both columns of the first of ``pairCandidates``
    /// present; else, when the table has exactly two columns, the one that is not the label; else
    /// the first of ``textCandidates`` present.
    ///
    /// - Returns: the indices of the text, pair and label columns in `columns`.
    /// - Throws: ``DataError/missingColumn(file:line:role:expected:found:)`` naming `file` and `line`.
    func resolve(_ columns: [String], file: String, line: Int) throws(DataError) -> (text: Int, pair: Int?, label: Int) {
        let lowered = columns.map { $0.lowercased() }
        func find(_ name: String) -> Int? { lowered.firstIndex(of: name.trimmingCharacters(in: .whitespaces).lowercased()) }
        func missing(_ role: String, _ expected: [String]) -> DataError {
            .missingColumn(file: file, line: line, role: role, expected: expected, found: columns)
        }

        let labelNames = label.map { [$0] } ?? Self.labelCandidates
        guard let labelIndex = labelNames.lazy.compactMap(find).first else { throw missing("label", labelNames) }

        var pairIndex: Int?
        if let pair {
            guard let index = find(pair) else { throw missing("pair", [pair]) }
            pairIndex = index
        }

        let textIndex: Int
        if let text {
            guard let index = find(text) else { throw missing("text", [text]) }
            textIndex = index
        } else if pair == nil, let (a, b) = Self.pairCandidates.lazy.compactMap({ p -> (Int, Int)? in
            guard let a = find(p.0), let b = find(p.1) else { return nil }
            return (a, b)
        }).first {
            textIndex = a
            pairIndex = b
        } else if columns.count == 2, let other = columns.indices.first(where: { $0 != labelIndex }),
                  other != pairIndex {
            textIndex = other
        } else if let index = Self.textCandidates.lazy.compactMap(find).first(where: { $0 != labelIndex && $0 != pairIndex }) {
            textIndex = index
        } else {
            throw missing("text", Self.textCandidates)
        }
        return (textIndex, pairIndex, labelIndex)
    }
}
