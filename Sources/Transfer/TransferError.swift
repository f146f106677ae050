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
            return "unknown transfer mode \"\(text)\": use frozen, finetune, layers:K or layers:K:frozen"
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
