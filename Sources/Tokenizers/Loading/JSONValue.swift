#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A parsed JSON document, read with the path of every value so that errors can say where they are.
struct JSONValue: Sendable {
    indirect enum Value: Sendable {
        case null
        case bool(Bool)
        case number(Double)
        case string(String)
        case array([Value])
        case object([String: Value])
    }

    let value: Value
    /// Where this value is in the document: `post_processor.single[0].SpecialToken.id`.
    let path: String
    /// The file, for error messages.
    let file: String

    /// Parses `data`.
    init(parsing data: Data, file: String) throws(TokenizerError) {
        // The scanner first: it gives a syntax error's position, and it refuses nesting deeper than
        // any tokenizer.json has before JSONDecoder sees it (FoundationEssentials' scanner traps
        // while describing its own nesting error; found by scripts/fuzz tokenizer).
        var scanner = JSONSyntaxScanner(bytes: Array(data))
        if let offset = scanner.firstError() {
            let location = Self.location(of: offset, in: data)
            let what = scanner.tooDeep ? "nested deeper than \(JSONSyntaxScanner.maxDepth) levels" : "syntax error"
            throw .malformedJSON(file: file, reason: "\(what) at line \(location.line), column \(location.column)")
        }
        do {
            value = try JSONDecoder().decode(Value.self, from: data)
        } catch let error as DecodingError {
            throw .malformedJSON(file: file, reason: Self.describe(error))
        } catch {
            throw .malformedJSON(file: file, reason: error.localizedDescription)
        }
        path = ""
        self.file = file
    }

    /// The 1-based line and column (in bytes) of a byte offset.
    static func location(of offset: Int, in data: Data) -> (line: Int, column: Int) {
        var line = 1, column = 1
        for byte in data.prefix(offset) {
            if byte == UInt8(ascii: "\n") { line += 1; column = 1 } else { column += 1 }
        }
        return (line, column)
    }

    /// Reads and parses the file at `url`.
    init(contentsOf url: URL) throws(TokenizerError) {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw .unreadableFile(file: url.path, reason: error.localizedDescription)
        }
        try self.init(parsing: data, file: url.path)
    }

    private init(_ value: Value, path: String, file: String) {
        self.value = value
        self.path = path
        self.file = file
    }

    var isNull: Bool {
        if case .null = value { return true }
        return false
    }

    /// The member `key`, nil when absent or null.
    subscript(key: String) -> JSONValue? {
        guard case .object(let members) = value, let member = members[key] else { return nil }
        if case .null = member { return nil }
        return JSONValue(member, path: path.isEmpty ? key : "\(path).\(key)", file: file)
    }

    /// The member `key`, which must be present.
    func required(_ key: String) throws(TokenizerError) -> JSONValue {
        guard let member = self[key] else {
            throw .missingKey(file: file, path: path.isEmpty ? key : "\(path).\(key)")
        }
        return member
    }

    func string() throws(TokenizerError) -> String {
        guard case .string(let s) = value else { throw mismatch("a string") }
        return s
    }

    func bool() throws(TokenizerError) -> Bool {
        guard case .bool(let b) = value else { throw mismatch("true or false") }
        return b
    }

    func int() throws(TokenizerError) -> Int {
        guard case .number(let d) = value, d == d.rounded(), abs(d) < 1e15 else { throw mismatch("an integer") }
        return Int(d)
    }

    func int32() throws(TokenizerError) -> Int32 {
        let i = try int()
        guard let v = Int32(exactly: i) else { throw mismatch("an integer that fits 32 bits") }
        return v
    }

    func array() throws(TokenizerError) -> [JSONValue] {
        guard case .array(let items) = value else { throw mismatch("an array") }
        return items.enumerated().map { JSONValue($1, path: "\(path)[\($0)]", file: file) }
    }

    func object() throws(TokenizerError) -> [(key: String, value: JSONValue)] {
        guard case .object(let members) = value else { throw mismatch("an object") }
        return members.map { ($0.key, JSONValue($0.value, path: path.isEmpty ? $0.key : "\(path).\($0.key)", file: file)) }
    }

    /// A string-to-integer object (a vocabulary), read without a `JSONValue` per entry.
    func vocabulary() throws(TokenizerError) -> [String: Int32] {
        guard case .object(let members) = value else { throw mismatch("an object of token ids") }
        var vocabulary = [String: Int32](minimumCapacity: members.count)
        for (token, id) in members {
            guard case .number(let d) = id, let v = Int32(exactly: d) else {
                throw TokenizerError.invalidValue(file: file, path: "\(path).\(token)", expected: "a token id",
                                                  found: JSONValue(id, path: "", file: file).summary)
            }
            vocabulary[token] = v
        }
        return vocabulary
    }

    /// Unigram's vocabulary, `[[token, score], …]`, read without a `JSONValue` per entry.
    func scoredVocabulary() throws(TokenizerError) -> [(token: String, score: Double)] {
        guard case .array(let items) = value else { throw mismatch("an array of [token, score]") }
        var out = [(token: String, score: Double)]()
        out.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            guard case .array(let pair) = item, pair.count == 2, case .string(let token) = pair[0],
                  case .number(let score) = pair[1] else {
                throw TokenizerError.invalidValue(file: file, path: "\(path)[\(i)]", expected: "[token, score]",
                                                  found: JSONValue(item, path: "", file: file).summary)
            }
            out.append((token, score))
        }
        return out
    }

    /// BPE's merges: `["a b", …]` (split at the one space, as `tokenizers` reads them) or `[["a", "b"], …]`.
    func merges() throws(TokenizerError) -> [(String, String)] {
        guard case .array(let items) = value else { throw mismatch("an array of merges") }
        var out = [(String, String)]()
        out.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            switch item {
            case .string(let line):
                let parts = line.split(separator: " ", omittingEmptySubsequences: false)
                if parts.count == 2 {
                    out.append((String(parts[0]), String(parts[1])))
                    continue
                }
            case .array(let pair):
                if pair.count == 2, case .string(let a) = pair[0], case .string(let b) = pair[1] {
                    out.append((a, b))
                    continue
                }
            default:
                break
            }
            throw TokenizerError.invalidValue(file: file, path: "\(path)[\(i)]", expected: "\"a b\" or [\"a\", \"b\"]",
                                              found: JSONValue(item, path: "", file: file).summary)
        }
        return out
    }

    func invalid(_ expected: String) -> TokenizerError {
        mismatch(expected)
    }

    private func mismatch(_ expected: String) -> TokenizerError {
        .invalidValue(file: file, path: path, expected: expected, found: summary)
    }

    /// A short rendering of the value, for error messages.
    var summary: String {
        switch value {
        case .null: return "null"
        case .bool(let b): return "\(b)"
        case .number(let d): return d == d.rounded() && abs(d) < 1e15 ? "\(Int(d))" : "\(d)"
        case .string(let s): return "\"\(s.count > 40 ? String(s.prefix(40)) + "…" : s)\""
        case .array(let a): return "an array of \(a.count)"
        case .object(let o): return "an object of \(o.count) keys"
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        switch error {
        case .dataCorrupted(let context), .typeMismatch(_, let context), .valueNotFound(_, let context),
             .keyNotFound(_, let context):
            let underlying = context.underlyingError.map { " (\($0))" } ?? ""
            return context.debugDescription + underlying
        @unknown default:
            return "\(error)"
        }
    }
}

extension JSONValue.Value: Decodable {
    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        // Numbers first: a vocabulary is thousands of them, and every failed attempt costs an error value.
        if container.decodeNil() {
            self = .null
        } else if let d = try? container.decode(Double.self) {
            self = .number(d)
        } else if let s = try? container.decode(String.self) {
            self = .string(s)
        } else if let b = try? container.decode(Bool.self) {
            self = .bool(b)
        } else if let a = try? container.decode([JSONValue.Value].self) {
            self = .array(a)
        } else {
            self = .object(try container.decode([String: JSONValue.Value].self))
        }
    }
}

/// A JSON syntax check that only finds where the first error is (RFC 8259, nesting up to ``maxDepth``).
struct JSONSyntaxScanner {
    static let maxDepth = 128
    let bytes: [UInt8]
    var i = 0
    /// Whether the error found is nesting deeper than ``maxDepth``.
    private(set) var tooDeep = false

    struct Failure: Error {}

    /// The byte offset of the first syntax error, or nil for valid JSON.
    mutating func firstError() -> Int? {
        do {
            try value(depth: 0)
            skipSpace()
            return i < bytes.count ? i : nil
        } catch {
            return min(i, bytes.count)
        }
    }

    mutating func skipSpace() {
        while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
    }

    mutating func expect(_ byte: UInt8) throws {
        guard i < bytes.count, bytes[i] == byte else { throw Failure() }
        i += 1
    }

    mutating func value(depth: Int) throws {
        guard depth < Self.maxDepth else {
            tooDeep = true
            throw Failure()
        }
        skipSpace()
        guard i < bytes.count else { throw Failure() }
        switch bytes[i] {
        case UInt8(ascii: "{"):
            i += 1
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return }
            while true {
                skipSpace()
                try string()
                skipSpace()
                try expect(UInt8(ascii: ":"))
                try value(depth: depth + 1)
                skipSpace()
                guard i < bytes.count else { throw Failure() }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                try expect(UInt8(ascii: "}"))
                return
            }
        case UInt8(ascii: "["):
            i += 1
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return }
            while true {
                try value(depth: depth + 1)
                skipSpace()
                guard i < bytes.count else { throw Failure() }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                try expect(UInt8(ascii: "]"))
                return
            }
        case UInt8(ascii: "\""):
            try string()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default:
            try number()
        }
    }

    mutating func literal(_ word: String) throws {
        for byte in word.utf8 { try expect(byte) }
    }

    mutating func string() throws {
        try expect(UInt8(ascii: "\""))
        while i < bytes.count {
            let byte = bytes[i]
            if byte == UInt8(ascii: "\"") { i += 1; return }
            if byte < 0x20 { throw Failure() }
            if byte == UInt8(ascii: "\\") {
                i += 1
                guard i < bytes.count else { throw Failure() }
                if bytes[i] == UInt8(ascii: "u") {
                    for _ in 0..<4 {
                        i += 1
                        guard i < bytes.count, (bytes[i] >= 0x30 && bytes[i] <= 0x39) || (bytes[i] | 0x20 >= 0x61 && bytes[i] | 0x20 <= 0x66) else { throw Failure() }
                    }
                } else if !"\"\\/bfnrt".utf8.contains(bytes[i]) {
                    throw Failure()
                }
            }
            i += 1
        }
        throw Failure()
    }

    mutating func number() throws {
        let start = i
        func digits() -> Int {
            let s = i
            while i < bytes.count, bytes[i] >= 0x30 && bytes[i] <= 0x39 { i += 1 }
            return i - s
        }
        if i < bytes.count, bytes[i] == UInt8(ascii: "-") { i += 1 }
        if i + 1 < bytes.count, bytes[i] == UInt8(ascii: "0"), bytes[i + 1] >= 0x30 && bytes[i + 1] <= 0x39 {
            i += 1   // a leading zero
            throw Failure()
        }
        guard digits() > 0 else { i = max(start, i); throw Failure() }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            guard digits() > 0 else { throw Failure() }
        }
        if i < bytes.count, bytes[i] | 0x20 == UInt8(ascii: "e") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { throw Failure() }
        }
    }
}
