import Foundation

/// Errors from transfer-learning settings and saved models (things that come from outside).
public enum TransferError: Error, Sendable, Equatable, CustomStringConvertible, LocalizedError {
    case invalidMode(String)
    case invalidFeatures(String)
    case invalidSetting(String)
    /// A saved model folder that is missing a file or has an unreadable one.
    case invalidModelFolder(URL, String)
    /// Training cannot start or continue.
    case training(String)

    public var description: String {
        switch self {
        case .invalidMode(let text):
            return "unknown transfer mode \"\(text)\": use frozen, finetune, lora, layers:K or layers:K:frozen (K ≥ 1)"
        case .invalidFeatures(let text):
            return "unknown feature choice \"\(text)\": use last, second-to-last, sum-last-4, concat-last-4 or layer:K"
        case .invalidSetting(let text):
            return text
        case .invalidModelFolder(let url, let text):
            return "\(url.path): \(text)"
        case .training(let text):
            return text
        }
    }

    public var errorDescription: String? { description }
}

extension DecodingError {
    /// The error in one line: what was wrong, and at which key (Codable's own description is a dump).
    public var oneLineDescription: String {
        func keyPath(_ path: [any CodingKey]) -> String {
            path.isEmpty ? "the top level" : path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch self {
        case .keyNotFound(let key, let context):
            return "missing key \"\(keyPath(context.codingPath + [key]))\""
        case .typeMismatch(let type, let context):
            return "\"\(keyPath(context.codingPath))\" has the wrong type (expected \(type))"
        case .valueNotFound(let type, let context):
            return "\"\(keyPath(context.codingPath))\" is null (expected \(type))"
        case .dataCorrupted(let context):
            var text = context.codingPath.isEmpty ? "invalid JSON" : "invalid value at \"\(keyPath(context.codingPath))\""
            let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            let detail = underlying ?? context.debugDescription
            if !detail.isEmpty { text += ": \(detail)" }
            return text
        @unknown default:
            return "\(self)"
        }
    }
}
