import Foundation

/// Errors from running a model on inputs that come from outside (files, the command line).
public enum ModelError: Error, Sendable, Equatable, CustomStringConvertible, LocalizedError {
    /// The sequence is longer than the model's `max_position_embeddings`.
    case sequenceTooLong(length: Int, maximum: Int)
    /// A token id is outside the vocabulary.
    case idOutOfRange(id: Int32, vocabularySize: Int, position: Int)
    /// A token type id is outside `type_vocab_size`.
    case tokenTypeOutOfRange(id: Int32, typeVocabularySize: Int)
    /// Inputs whose shapes disagree.
    case shapeMismatch(String)
    /// A requested layer that the model does not have.
    case noSuchLayer(requested: Int, available: Int)
    /// A `model_type` no family here implements.
    case unsupportedModelType(String, supported: [String])

    public var description: String {
        switch self {
        case .sequenceTooLong(let length, let maximum):
            return "input of \(length) tokens is longer than the model's max_position_embeddings (\(maximum)); "
                + "truncate it (the tokenizer does this when given a max length) or split it"
        case .idOutOfRange(let id, let size, let position):
            return "token id \(id) at position \(position) is outside the vocabulary of \(size) tokens"
        case .tokenTypeOutOfRange(let id, let size):
            return "token type id \(id) is outside type_vocab_size \(size)"
        case .shapeMismatch(let text):
            return "input shapes disagree: \(text)"
        case .noSuchLayer(let requested, let available):
            return "layer \(requested) requested, but the model has hidden states 0…\(available) (0 = embeddings output)"
        case .unsupportedModelType(let type, let supported):
            return "model_type \"\(type)\" is not supported; supported: \(supported.joined(separator: ", "))"
        }
    }

    public var errorDescription: String? { description }
}
