/// Why a tokenizer could not be loaded. Every case names the file and, where it applies, the JSON path.
public enum TokenizerError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A file could not be read (missing, unreadable).
    case unreadableFile(file: String, reason: String)
    /// A folder has neither `tokenizer.json` nor `vocab.txt`.
    case missingVocabulary(file: String)
    /// A JSON file is not valid JSON.
    case malformedJSON(file: String, reason: String)
    /// A required key is absent.
    case missingKey(file: String, path: String)
    /// A value has the wrong JSON type or an impossible value.
    case invalidValue(file: String, path: String, expected: String, found: String)
    /// A pipeline component (`normalizer`, `model`, …) whose `type` BertKit does not implement.
    case unsupportedComponent(file: String, path: String, type: String)
    /// A token the configuration refers to is not in the vocabulary.
    case unknownToken(file: String, path: String, token: String)

    public var description: String {
        switch self {
        case let .unreadableFile(file, reason):
            return "\(file): \(reason)"
        case let .missingVocabulary(file):
            return "no vocabulary: \(file) does not exist (and there is no tokenizer.json beside it)"
        case let .malformedJSON(file, reason):
            return "\(file) is not valid JSON: \(reason)"
        case let .missingKey(file, path):
            return "\(file): missing key `\(path)`"
        case let .invalidValue(file, path, expected, found):
            return "\(file): `\(path)` should be \(expected), found \(found)"
        case let .unsupportedComponent(file, path, type):
            return "\(file): `\(path)` is \"\(type)\", which BertKit does not support"
        case let .unknownToken(file, path, token):
            return "\(file): `\(path)` names the token \"\(token)\", which is not in the vocabulary"
        }
    }
}
