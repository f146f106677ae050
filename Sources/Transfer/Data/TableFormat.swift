import Foundation
import Checkpoints

/// How a table of examples is written.
public enum TableFormat: String, Sendable, Hashable, Codable, CaseIterable {
    /// Tab-separated values with a header row and no quoting, as the GLUE files are written: a field
    /// holds any character but a tab or a line break, and quotes are ordinary characters.
    case tsv
    /// Comma-separated values with a header row, quoted as RFC 4180 says: a field in double quotes
    /// may hold commas, line breaks and doubled quotes (`""`).
    case csv
    /// JSON Lines: one JSON object per line, its keys the column names.
    case jsonLines

    /// The extensions each format is chosen by.
    public var fileExtensions: [String] {
        switch self {
        case .tsv: return ["tsv", "tab"]
        case .csv: return ["csv"]
        case .jsonLines: return ["jsonl", "json", "ndjson"]
        }
    }

    /// The format named by `url`'s extension (case-insensitive): `.tsv`, `.csv`, `.jsonl`/`.json`.
    ///
    /// - Throws: ``DataError/unknownFormat(file:found:expected:)`` for any other extension.
    public static func detect(_ url: URL) throws(DataError) -> TableFormat {
        let ext = url.pathExtension.lowercased()
        if let format = allCases.first(where: { $0.fileExtensions.contains(ext) }) { return format }
        throw .unknownFormat(file: TextFile.displayName(url), found: ext,
                             expected: allCases.flatMap(\.fileExtensions).map { "." + $0 })
    }
}

/// A table read from a file: column names and, per row, one value per column (nil where a JSON
/// object lacks the key). TSV and CSV cells are strings.
struct Table: Sendable {
    struct Row: Sendable {
        /// The 1-based line where the row starts.
        var line: Int
        var values: [JSONValue?]
    }

    var file: String
    var columns: [String]
    /// The line of the header (TSV, CSV) or of the first object (JSON Lines).
    var headerLine: Int
    var rows: [Row]

    /// The index of the column named `name`, compared case-insensitively and ignoring surrounding
    /// white space.
    func index(of name: String) -> Int? {
        let wanted = name.trimmingCharacters(in: .whitespaces).lowercased()
        return columns.firstIndex { $0.lowercased() == wanted }
    }

    static func read(_ file: TextFile, format: TableFormat) throws(DataError) -> Table {
        if file.isEmpty { throw .emptyFile(file: file.name) }
        switch format {
        case .tsv: return try readTSV(file)
        case .csv: return try readCSV(file)
        case .jsonLines: return try readJSONLines(file)
        }
    }

    // MARK: TSV

    /// Adds one record of a delimited file: the first is the header, and every other must have as
    /// many fields.
    private mutating func addDelimited(_ fields: [String], line: Int, separator: String) throws(DataError) {
        guard headerLine > 0 else {
            columns = fields.map { $0.trimmingCharacters(in: .whitespaces) }
            headerLine = line
            return
        }
        guard fields.count == columns.count else {
            throw .malformedRow(file: file, line: line,
                                expected: "\(columns.count) \(separator)-separated fields (\(columns.joined(separator: ", ")))",
                                found: "\(fields.count)")
        }
        rows.append(Row(line: line, values: fields.map { .string($0) }))
    }

    private static func readTSV(_ file: TextFile) throws(DataError) -> Table {
        var table = Table(file: file.name, columns: [], headerLine: 0, rows: [])
        let bytes = file.bytes
        try file.forEachLine { (line: Int, range: Range<Int>) throws(DataError) in
            if file.isBlank(range) { return }
            var fields: [String] = []
            fields.reserveCapacity(max(table.columns.count, 4))
            var start = range.lowerBound
            for i in range where bytes[i] == 0x09 {
                fields.append(file.string(start..<i))
                start = i + 1
            }
            fields.append(file.string(start..<range.upperBound))
            try table.addDelimited(fields, line: line, separator: "tab")
        }
        return table
    }

    // MARK: CSV (RFC 4180)

    private static func readCSV(_ file: TextFile) throws(DataError) -> Table {
        let bytes = file.bytes
        let n = bytes.count
        let quote: UInt8 = 0x22, comma: UInt8 = 0x2C, lf: UInt8 = 0x0A, cr: UInt8 = 0x0D
        var table = Table(file: file.name, columns: [], headerLine: 0, rows: [])
        var line = 1
        var i = 0

        while i < n {
            // One record, starting at `i` on `line`.
            let recordLine = line
            var fields: [String] = []
            var endOfRecord = false
            while !endOfRecord {
                if i < n, bytes[i] == quote {
                    let openLine = line
                    var value: [UInt8] = []
                    i += 1
                    var closed = false
                    while i < n {
                        let b = bytes[i]
                        if b == quote {
                            if i + 1 < n, bytes[i + 1] == quote {
                                value.append(quote)
                                i += 2
                                continue
                            }
                            i += 1
                            closed = true
                            break
                        }
                        if b == lf || (b == cr && !(i + 1 < n && bytes[i + 1] == lf)) { line += 1 }
                        value.append(b)
                        i += 1
                    }
                    guard closed else {
                        throw .malformedRow(file: file.name, line: openLine,
                                            expected: "a closing quote for the field opened on this line",
                                            found: "the end of the file")
                    }
                    fields.append(String(decoding: value, as: UTF8.self))
                    if i < n, bytes[i] != comma, bytes[i] != lf, bytes[i] != cr {
                        let text = String(decoding: bytes[i..<min(n, i + 12)], as: UTF8.self)
                        throw .malformedRow(file: file.name, line: line,
                                            expected: "a comma or the end of the line after a closing quote",
                                            found: "\"\(text)\"")
                    }
                } else {
                    let start = i
                    while i < n, bytes[i] != comma, bytes[i] != lf, bytes[i] != cr { i += 1 }
                    fields.append(file.string(start..<i))
                }
                // `i` is at a comma, a line break or the end.
                if i < n, bytes[i] == comma {
                    i += 1
                } else {
                    if i < n, bytes[i] == cr { i += 1 }
                    if i < n, bytes[i] == lf { i += 1 }
                    line += 1
                    endOfRecord = true
                }
            }
            if fields.count == 1, fields[0].allSatisfy({ $0 == " " || $0 == "\t" }) { continue }  // blank line
            try table.addDelimited(fields, line: recordLine, separator: "comma")
        }
        return table
    }

    // MARK: JSON Lines

    private static func readJSONLines(_ file: TextFile) throws(DataError) -> Table {
        var columns: [String]?
        var headerLine = 0
        var rows: [Row] = []
        try file.forEachLine { (line: Int, range: Range<Int>) throws(DataError) in
            if file.isBlank(range) { return }
            let value: JSONValue
            do throws(JSONSyntaxError) {
                value = try JSONValue.parse(Array(file.bytes[range]))
            } catch {
                // A pretty-printed or array document fails on its first line; say what is wanted.
                let text = file.string(range).trimmingCharacters(in: .whitespaces)
                if rows.isEmpty, columns == nil, text == "[" || text == "{" {
                    throw .malformedRow(file: file.name, line: line, expected: "JSON Lines: one complete JSON object per line",
                                        found: "\"\(text)\" alone (a multi-line JSON document)")
                }
                throw .malformedRow(file: file.name, line: line, expected: "a JSON object",
                                    found: "invalid JSON at column \(error.column): \(error.message)")
            }
            guard let object = value.objectValue else {
                throw .malformedRow(file: file.name, line: line, expected: "a JSON object", found: value.kindName)
            }
            if columns == nil {
                columns = object.keys.sorted()
                headerLine = line
            }
            rows.append(Row(line: line, values: columns!.map { object[$0] }))
        }
        return Table(file: file.name, columns: columns ?? [], headerLine: headerLine, rows: rows)
    }
}

extension JSONValue {
    /// What kind of JSON value this is, for messages: `a string`, `the number 3`, …
    var kindName: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return "\(b)"
        case .int(let i): return "the number \(i)"
        case .double(let d): return "the number \(d)"
        case .string(let s): return "the string \"\(s)\""
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}
