import Foundation
import Hummingbird
import BertKitJSON

/// `POST /v1/embeddings` (OpenAI).
struct OpenAIEmbeddingRequest: Decodable {
    var input: Inputs
    var model: String?
    var encodingFormat: EncodingFormat?
    /// An extension of OpenAI's API: truncate long inputs instead of refusing them.
    var truncate: Bool?

    enum EncodingFormat: String, Decodable {
        case float, base64

        init(from decoder: any Decoder) throws {
            guard let format = (try? decoder.singleValueContainer().decode(String.self)).flatMap(Self.init(rawValue:)) else {
                throw InvalidBody("'encoding_format' must be \"float\" or \"base64\"")
            }
            self = format
        }
    }

    enum CodingKeys: String, CodingKey {
        case input, model, truncate
        case encodingFormat = "encoding_format"
    }
}

/// `POST /embed` (TEI).
struct TEIEmbedRequest: Decodable {
    var inputs: Inputs
    var normalize: Bool?
    var truncate: Bool?
}

/// `POST /predict` (TEI).
struct TEIPredictRequest: Decodable {
    var inputs: Sequences
    var rawScores: Bool?
    var truncate: Bool?

    enum CodingKeys: String, CodingKey {
        case inputs, truncate
        case rawScores = "raw_scores"
    }
}

/// `POST /tokenize` (TEI).
struct TEITokenizeRequest: Decodable {
    var inputs: Inputs
    var addSpecialTokens: Bool?

    enum CodingKeys: String, CodingKey {
        case inputs
        case addSpecialTokens = "add_special_tokens"
    }
}

/// Content of the wrong shape, said in one line that names the field.
struct InvalidBody: Error {
    var message: String
    init(_ message: String) { self.message = message }
}

/// Decodes a body: malformed JSON is a 400; well-formed JSON of the wrong shape is ``ServeError/invalid(_:_:)``.
func decodeBody<Body: Decodable>(_ type: Body.Type, from body: ByteBuffer, style: ErrorStyle) throws(ServeError) -> Body {
    let bytes = Array(body.readableBytesView)
    // The one parser reads the text first: its error names the line and column, and JSONDecoder
    // never sees nesting deeper than JSONValue.maxDepth (FoundationEssentials' scanner traps on 513
    // opening brackets, where the text ends at its own limit).
    do throws(JSONSyntaxError) { _ = try JSONValue.parse(bytes) }
    catch { throw .badRequest("the body is not valid JSON: \(error)", style) }
    do {
        return try JSONDecoder().decode(Body.self, from: Data(bytes))
    } catch let error as InvalidBody {
        throw .invalid(error.message, style)
    } catch DecodingError.keyNotFound(let key, _) {
        throw .invalid("'\(key.stringValue)' is required", style)
    } catch DecodingError.typeMismatch(let type, let context) {
        guard let field = context.codingPath.first?.stringValue else { throw .invalid("the body must be a JSON object", style) }
        throw .invalid("'\(field)' must be \(type == Bool.self ? "true or false" : "a string")", style)
    } catch {
        throw .badRequest("the body is not valid JSON", style)
    }
}

/// The texts (or token ids) of a request (OpenAI's `input`, TEI's `inputs`): a string, an array of
/// strings, an array of token ids, or an array of arrays of token ids.
enum Inputs: Decodable {
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

    init(from decoder: any Decoder) throws {
        let field = decoder.codingPath.last?.stringValue ?? "input"
        let mustBe = InvalidBody("'\(field)' must be a string or an array of strings or token ids")
        let value = try decoder.singleValueContainer()
        if let text = try? value.decode(String.self) {
            guard !text.isEmpty else { throw InvalidBody("'\(field)' is an empty string") }
            self = .texts([text])
            return
        }
        guard let items = try? value.decode([InputItem].self) else { throw mustBe }
        guard !items.isEmpty else { throw InvalidBody("'\(field)' is empty") }
        let texts = items.compactMap(\.text), ids = items.compactMap(\.id)
        if texts.count == items.count {
            if let i = texts.firstIndex(where: \.isEmpty) { throw InvalidBody("'\(field)[\(i)]' is an empty string") }
            self = .texts(texts)
        } else if ids.count == items.count {
            self = .tokens([ids])
        } else if items.allSatisfy(\.isArray) {
            self = .tokens(try items.enumerated().map { i, item in
                guard case .ids(let ids) = item, !ids.isEmpty else {
                    throw InvalidBody("'\(field)[\(i)]' must be a non-empty array of token ids")
                }
                return ids
            })
        } else {
            throw mustBe
        }
    }
}

/// TEI's `/predict` inputs: a text, a pair `[a, b]`, or a batch of those (`[[a], [b, c], …]`).
struct Sequences: Decodable {
    /// Each sequence: one text, or a text pair.
    var all: [(String, String?)]
    var isBatch: Bool

    init(from decoder: any Decoder) throws {
        func sequence(_ texts: [String]) throws -> (String, String?) {
            guard (1...2).contains(texts.count) else { throw InvalidBody("a sequence is a string, or an array of one or two strings") }
            return (texts[0], texts.count == 2 ? texts[1] : nil)
        }
        let value = try decoder.singleValueContainer()
        if let text = try? value.decode(String.self) {
            (all, isBatch) = ([(text, nil)], false)
        } else if let items = try? value.decode([InputItem].self) {
            guard !items.isEmpty else { throw InvalidBody("'inputs' is empty") }
            let texts = items.compactMap(\.text)
            if texts.count == items.count {
                (all, isBatch) = ([try sequence(texts)], false)
            } else {
                all = try items.map { item in
                    switch item {
                    case .text(let text): return (text, nil)
                    case .texts(let texts): return try sequence(texts)
                    default: throw InvalidBody("'inputs' must hold strings or arrays of strings")
                    }
                }
                isBatch = true
            }
        } else {
            throw InvalidBody("'inputs' must be a string or an array")
        }
        if all.contains(where: { $0.0.isEmpty }) { throw InvalidBody("'inputs' holds an empty text") }
    }
}

/// An element of an array of inputs.
private enum InputItem: Decodable {
    case text(String)
    /// A token id: an integer in 0...Int32.max (JSON's `true` and `1.5` are not).
    case id(Int32)
    case texts([String])
    case ids([Int32])
    case otherArray
    case other

    var text: String? { if case .text(let s) = self { s } else { nil } }
    var id: Int32? { if case .id(let id) = self { id } else { nil } }

    var isArray: Bool {
        switch self {
        case .texts, .ids, .otherArray: return true
        case .text, .id, .other: return false
        }
    }

    init(from decoder: any Decoder) throws {
        let value = try decoder.singleValueContainer()
        if let text = try? value.decode(String.self) {
            self = .text(text)
        } else if let id = try? value.decode(Int32.self) {
            self = id >= 0 ? .id(id) : .other
        } else if let texts = try? value.decode([String].self) {
            self = .texts(texts)
        } else if let ids = try? value.decode([Int32].self), ids.allSatisfy({ $0 >= 0 }) {
            self = .ids(ids)
        } else {
            self = (try? decoder.unkeyedContainer()) != nil ? .otherArray : .other
        }
    }
}
