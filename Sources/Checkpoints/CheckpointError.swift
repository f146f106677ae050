import Foundation
// JSONValue is part of Checkpoints' API (configs, headers): whoever imports Checkpoints has it.
@_exported import BertKitJSON

/// An error in a checkpoint, configuration or model folder that came from outside the program.
///
/// Every error names the file it is about (when there is one), the key inside it (a tensor name or
/// a configuration field) and what was expected, so that the message alone tells a user what to fix:
///
/// ```
/// /models/bert/config.json: key "hidden_size": expected an integer, found "big"
/// ```
///
/// Match on ``reason`` to handle a particular problem in code.
public struct CheckpointError: Error, Sendable, Equatable, CustomStringConvertible, LocalizedError {
    /// What went wrong.
    public enum Reason: Sendable, Equatable {
        /// The file or folder does not exist.
        case fileNotFound
        /// The operating system refused an operation (open, map, read, write, rename); the text is its message.
        case io(String)
        /// The file ends before the data it announces.
        case truncated(String)
        /// The JSON text is malformed at the given line and column (1-based).
        case invalidJSON(line: Int, column: Int, String)
        /// A safetensors header is valid JSON but not shaped like a safetensors header.
        case invalidHeader(String)
        /// A tensor's dtype is not one of the safetensors dtypes.
        case unknownDType(String)
        /// A tensor's shape is not a list of non-negative integers whose product fits in memory.
        case invalidShape(String)
        /// A tensor's `data_offsets` are not a valid range of the data section.
        case invalidOffsets(String)
        /// A tensor's bytes overlap those of another tensor, named here.
        case overlappingData(otherKey: String)
        /// No tensor has this name; similar names, if any, are listed.
        case missingTensor(similar: [String])
        /// The tensor holds integers or booleans, which are not read as floats.
        case notFloatingPoint(DType)
        /// The tensor's shape differs from the one the caller needs.
        case shapeMismatch(expected: [Int], found: [Int])
        /// A required field is absent.
        case missingField
        /// A field has a value of the wrong JSON type.
        case wrongType(expected: String, found: String)
        /// A field has the right type but a value that is not allowed; the text says which values are.
        case invalidValue(String)
        /// The folder holds no checkpoint this package can read; the text says what it found.
        case unsupportedCheckpoint(String)
        /// A model id or path could not be resolved offline.
        case modelNotFound(id: String, searched: [String], help: String)
    }

    /// The file or folder the error is about, if any.
    public var file: URL?
    /// The tensor name or configuration field the error is about, if any.
    public var key: String?
    /// What went wrong.
    public var reason: Reason

    /// Creates an error about `file` and `key`.
    /// A whole-file read that failed (``FileContents/read(_:)``): nothing there, or not a regular file.
    public init(file: URL, _ error: FileReadError) {
        self.init(file: file, error.isMissing ? .fileNotFound : .io(error.reason))
    }

    public init(file: URL?, key: String? = nil, _ reason: Reason) {
        self.file = file
        self.key = key
        self.reason = reason
    }

    public var description: String {
        var parts: [String] = []
        if let file { parts.append(file.path) }
        if let key { parts.append("key \"\(key)\"") }
        parts.append(reason.message)
        return parts.joined(separator: ": ")
    }

    public var errorDescription: String? { description }
}

extension CheckpointError.Reason {
    /// The reason as a sentence fragment, without the file and key.
    public var message: String {
        switch self {
        case .fileNotFound:
            return "no such file or folder"
        case .io(let text):
            return text
        case .truncated(let text):
            return "file is truncated: \(text)"
        case .invalidJSON(let line, let column, let text):
            return "invalid JSON at line \(line), column \(column): \(text)"
        case .invalidHeader(let text):
            return "invalid safetensors header: \(text)"
        case .unknownDType(let name):
            let known = DType.allCases.map(\.rawValue).joined(separator: ", ")
            return "unknown dtype \"\(name)\"; expected one of \(known)"
        case .invalidShape(let text):
            return "invalid shape: \(text)"
        case .invalidOffsets(let text):
            return "invalid data_offsets: \(text)"
        case .overlappingData(let other):
            return "data overlaps that of tensor \"\(other)\""
        case .missingTensor(let similar):
            if similar.isEmpty { return "no tensor with this name" }
            return "no tensor with this name; similar names: " + similar.map { "\"\($0)\"" }.joined(separator: ", ")
        case .notFloatingPoint(let dtype):
            return "tensor has dtype \(dtype.rawValue), which is not a floating-point type (expected F32, F16, BF16 or F64)"
        case .shapeMismatch(let expected, let found):
            return "expected shape \(expected), found \(found)"
        case .missingField:
            return "required field is missing"
        case .wrongType(let expected, let found):
            return "expected \(expected), found \(found)"
        case .invalidValue(let text):
            return text
        case .unsupportedCheckpoint(let text):
            return text
        case .modelNotFound(let id, let searched, let help):
            var lines = ["model \"\(id)\" not found offline. Looked in:"]
            lines += searched.map { "  - \($0)" }
            lines.append(help)
            return lines.joined(separator: "\n")
        }
    }
}
