import Foundation
import Hummingbird

/// The texts (or token ids) of a request.
enum Inputs {
    case texts([String])
    /// Token ids of the model's own vocabulary, used as given (special tokens included, as
    /// `/tokenize` returns them).
    case tokens([[Int32]])

    var count: Int {
        switch self {
        case .texts(let t): return t.count
        case .tokens(let t): return t.count
        }
    }
}

/// `POST /v1/embeddings` (OpenAI).
struct OpenAIEmbeddingRequest {
    var input: Inputs
    var model: String?
    var base64: Bool
    /// An extension of OpenAI's API: truncate long inputs instead of refusing them.
    var truncate: Bool

    init(_ json: [String: Any]) throws(ServeError) {
        guard let raw = json["input"] else { throw .invalid("'input' is required", .openAI) }
        input = try parseInputs(raw, field: "input", style: .openAI, allowTokens: true)
        if let m = json["model"], !(m is NSNull) {
            guard let m = m as? String else { throw .invalid("'model' must be a string", .openAI) }
            model = m
        }
        switch json["encoding_format"] {
        case nil, is NSNull: base64 = false
        case let f as String where f == "float": base64 = false
        case let f as String where f == "base64": base64 = true
        default: throw .invalid("'encoding_format' must be \"float\" or \"base64\"", .openAI)
        }
        truncate = try optionalBool(json, "truncate", style: .openAI) ?? false
    }
}

/// `POST /embed` (TEI).
struct TEIEmbedRequest {
    var inputs: Inputs
    var normalize: Bool
    var truncate: Bool

    init(_ json: [String: Any]) throws(ServeError) {
        guard let raw = json["inputs"] else { throw .invalid("'inputs' is required", .tei) }
        inputs = try parseInputs(raw, field: "inputs", style: .tei, allowTokens: true)
        normalize = try optionalBool(json, "normalize", style: .tei) ?? true
        truncate = try optionalBool(json, "truncate", style: .tei) ?? false
    }
}

/// `POST /predict` (TEI): a text, a pair `[a, b]`, or a batch of those (`[[a], [b, c], …]`).
struct TEIPredictRequest {
    /// Each sequence: one text, or a text pair.
    var sequences: [(String, String?)]
    var isBatch: Bool
    var rawScores: Bool
    var truncate: Bool

    init(_ json: [String: Any]) throws(ServeError) {
        guard let raw = json["inputs"] else { throw .invalid("'inputs' is required", .tei) }
        func sequence(_ a: [Any]) throws(ServeError) -> (String, String?) {
            let s = a.compactMap { $0 as? String }
            guard s.count == a.count, (1...2).contains(s.count) else {
                throw .invalid("a sequence is a string, or an array of one or two strings", .tei)
            }
            return (s[0], s.count == 2 ? s[1] : nil)
        }
        switch raw {
        case let s as String:
            sequences = [(s, nil)]
            isBatch = false
        case let a as [Any] where !a.isEmpty && a.allSatisfy({ $0 is String }):
            sequences = [try sequence(a)]
            isBatch = false
        case let a as [Any] where !a.isEmpty:
            var all: [(String, String?)] = []
            for item in a {
                if let s = item as? String { all.append((s, nil)); continue }
                guard let inner = item as? [Any] else { throw .invalid("'inputs' must hold strings or arrays of strings", .tei) }
                all.append(try sequence(inner))
            }
            sequences = all
            isBatch = true
        case let a as [Any] where a.isEmpty:
            throw .invalid("'inputs' is empty", .tei)
        default:
            throw .invalid("'inputs' must be a string or an array", .tei)
        }
        if sequences.contains(where: { $0.0.isEmpty }) { throw .invalid("'inputs' holds an empty text", .tei) }
        rawScores = try optionalBool(json, "raw_scores", style: .tei) ?? false
        truncate = try optionalBool(json, "truncate", style: .tei) ?? false
    }
}

/// `POST /tokenize` (TEI).
struct TEITokenizeRequest {
    var texts: [String]
    var addSpecialTokens: Bool

    init(_ json: [String: Any]) throws(ServeError) {
        guard let raw = json["inputs"] else { throw .invalid("'inputs' is required", .tei) }
        guard case .texts(let texts) = try parseInputs(raw, field: "inputs", style: .tei, allowTokens: false) else {
            throw .invalid("'inputs' must be a string or an array of strings", .tei)
        }
        self.texts = texts
        addSpecialTokens = try optionalBool(json, "add_special_tokens", style: .tei) ?? true
    }
}

/// The body as a JSON object; a syntax error is a 400.
func jsonObject(_ body: ByteBuffer, style: ErrorStyle) throws(ServeError) -> [String: Any] {
    let data = Data(body.readableBytesView)
    let parsed: Any
    do { parsed = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) }
    catch { throw .badRequest("the body is not valid JSON", style) }
    guard let object = parsed as? [String: Any] else { throw .invalid("the body must be a JSON object", style) }
    return object
}

/// A string, an array of strings, an array of token ids, or an array of arrays of token ids.
func parseInputs(_ raw: Any, field: String, style: ErrorStyle, allowTokens: Bool) throws(ServeError) -> Inputs {
    switch raw {
    case let s as String:
        guard !s.isEmpty else { throw .invalid("'\(field)' is an empty string", style) }
        return .texts([s])
    case let a as [Any]:
        guard !a.isEmpty else { throw .invalid("'\(field)' is empty", style) }
        if a.allSatisfy({ $0 is String }) {
            let texts = a.map { $0 as! String }
            if let i = texts.firstIndex(where: \.isEmpty) { throw .invalid("'\(field)[\(i)]' is an empty string", style) }
            return .texts(texts)
        }
        if allowTokens, let ids = tokenIDs(a) {
            return .tokens([ids])
        }
        if allowTokens, a.allSatisfy({ $0 is [Any] }) {
            var all: [[Int32]] = []
            for (i, item) in a.enumerated() {
                guard let ids = tokenIDs(item as! [Any]), !ids.isEmpty else {
                    throw .invalid("'\(field)[\(i)]' must be a non-empty array of token ids", style)
                }
                all.append(ids)
            }
            return .tokens(all)
        }
        throw .invalid("'\(field)' must be a string or an array of strings\(allowTokens ? " or token ids" : "")", style)
    default:
        throw .invalid("'\(field)' must be a string or an array of strings\(allowTokens ? " or token ids" : "")", style)
    }
}

/// Integers in 0...Int32.max (not booleans, not fractions), or nil.
private func tokenIDs(_ a: [Any]) -> [Int32]? {
    var ids: [Int32] = []
    ids.reserveCapacity(a.count)
    for x in a {
        guard let n = x as? NSNumber, !isJSONBoolean(n), let i = x as? Int, (0...Int(Int32.max)).contains(i) else { return nil }
        ids.append(Int32(i))
    }
    return ids
}

/// Foundation parses JSON `true`/`false` as an NSNumber subclass whose type name says Boolean
/// (`__NSCFBoolean`), and `1` as a plain NSNumber; both bridge to `Bool` and `Int`.
private func isJSONBoolean(_ n: NSNumber) -> Bool {
    "\(type(of: n))".lowercased().contains("bool")
}

private func optionalBool(_ json: [String: Any], _ key: String, style: ErrorStyle) throws(ServeError) -> Bool? {
    switch json[key] {
    case nil, is NSNull: return nil
    case let n as NSNumber where isJSONBoolean(n): return n.boolValue
    default: throw .invalid("'\(key)' must be true or false", style)
    }
}
