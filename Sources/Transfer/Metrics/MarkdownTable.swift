import Foundation

/// A GitHub-flavoured Markdown table; cells are escaped so a `|` or a line break in a label cannot
/// break the table.
struct MarkdownTable {
    var header: [String]
    var rows: [[String]]
    /// Indices of columns aligned right (numbers).
    var rightAligned: Set<Int> = []

    var text: String {
        func line(_ cells: [String]) -> String { "| " + cells.map(Self.escape).joined(separator: " | ") + " |" }
        let rule = "|" + header.indices.map { rightAligned.contains($0) ? " ---: " : " --- " }.joined(separator: "|") + "|"
        return ([line(header), rule] + rows.map(line)).joined(separator: "\n") + "\n"
    }

    static func escape(_ cell: String) -> String {
        inline(cell).replacingOccurrences(of: "|", with: "\\|")
    }
}

extension MarkdownTable {
    /// `text` with backslashes, `<` and line breaks escaped, so it shows literally in a heading or
    /// a paragraph (a label such as `<unk>` would otherwise be taken for HTML).
    static func inline(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\")
            .replacingOccurrences(of: "<", with: "\\<")
            .replacingOccurrences(of: "\r\n", with: " ")
            .replacingOccurrences(of: "\n", with: " ")
            .replacingOccurrences(of: "\r", with: " ")
    }
}

/// A metric value with four decimals, as tables show them.
func formatted(_ value: Double) -> String {
    value.isFinite ? String(format: "%.4f", value) : "\(value)"
}
