#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import BertKitJSON

/// A value of a parsed JSON document with its path, so that errors can say where they are.
struct JSONNode: Sendable {
    let value: JSONValue
    /// Where this value is in the document: `post_processor.single[0].SpecialToken.id`.
    let path: String
    /// The file, for error messages.
    let file: String

    /// Parses `data` with the one JSON parser: a syntax error, or nesting deeper than
    /// ``JSONValue/maxDepth``, names its line and column.
    init(parsing data: Data, file: String) throws(TokenizerError) {
        do throws(JSONSyntaxError) { value = try JSONValue.parse(data) }
        catch { throw .malformedJSON(file: file, reason: error.description) }
        path = ""
        self.file = file
    }

    /// Reads and parses the file at `url`.
    init(contentsOf url: URL) throws(TokenizerError) {
        let data: Data
        do { data = try FileContents.read(url) } catch { throw .unreadableFile(file: url.path, reason: error.reason) }
        try self.init(parsing: data, file: url.path)
    }

    private init(_ value: JSONValue, path: String, file: String) {
        self.value = value
        self.path = path
        self.file = file
    }

    var isNull: Bool { value.isNull }

    /// The member `key`, nil when absent or null.
    subscript(key: String) -> JSONNode? {
        guard let member = value.objectValue?[key], !member.isNull else { return nil }
        return JSONNode(member, path: path.isEmpty ? key : "\(path).\(key)", file: file)
    }

    /// The member `key`, which must be present.
    func required(_ key: String) throws(TokenizerError) -> JSONNode {
        guard let member = self[key] else {
            throw .missingKey(file: file, path: path.isEmpty ? key : "\(path).\(key)")
        }
        return member
    }

    func string() throws(TokenizerError) -> String {
        guard let s = value.stringValue else { throw mismatch("a string") }
        return s
    }

    func bool() throws(TokenizerError) -> Bool {
        guard let b = value.boolValue else { throw mismatch("true or false") }
        return b
    }

    func int() throws(TokenizerError) -> Int {
        guard let i = value.intValue else { throw mismatch("an integer") }
        return i
    }

    func int32() throws(TokenizerError) -> Int32 {
        let i = try int()
        guard let v = Int32(exactly: i) else { throw mismatch("an integer that fits 32 bits") }
        return v
    }

    func array() throws(TokenizerError) -> [JSONNode] {
        guard case .array(let items) = value else { throw mismatch("an array") }
        return items.enumerated().map { JSONNode($1, path: "\(path)[\($0)]", file: file) }
    }

    func object() throws(TokenizerError) -> [(key: String, value: JSONNode)] {
        guard case .object(let members) = value else { throw mismatch("an object") }
        return members.map { ($0.key, JSONNode($0.value, path: path.isEmpty ? $0.key : "\(path).\($0.key)", file: file)) }
    }

    /// A string-to-integer object (a vocabulary), read without a `JSONNode` per entry.
    func vocabulary() throws(TokenizerError) -> [String: Int32] {
        guard case .object(let members) = value else { throw mismatch("an object of token ids") }
        var vocabulary = [String: Int32](minimumCapacity: members.count)
        for (token, id) in members {
            guard let v = id.intValue.flatMap({ Int32(exactly: $0) }) else {
                throw TokenizerError.invalidValue(file: file, path: "\(path).\(token)", expected: "a token id",
                                                  found: JSONNode(id, path: "", file: file).summary)
            }
            vocabulary[token] = v
        }
        return vocabulary
    }

    /// Unigram's vocabulary, `[[token, score], …]`, read without a `JSONNode` per entry.
    func scoredVocabulary() throws(TokenizerError) -> [(token: String, score: Double)] {
        guard case .array(let items) = value else { throw mismatch("an array of [token, score]") }
        var out = [(token: String, score: Double)]()
        out.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            guard case .array(let pair) = item, pair.count == 2, case .string(let token) = pair[0],
                  let score = pair[1].doubleValue else {
                throw TokenizerError.invalidValue(file: file, path: "\(path)[\(i)]", expected: "[token, score]",
                                                  found: JSONNode(item, path: "", file: file).summary)
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
                                              found: JSONNode(item, path: "", file: file).summary)
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
        case .string(let s): return "\"\(s.count > 40 ? String(s.prefix(40)) + "…" : s)\""
        case .array(let a): return "an array of \(a.count)"
        case .object(let o): return "an object of \(o.count) keys"
        default: return value.description
        }
    }
}
