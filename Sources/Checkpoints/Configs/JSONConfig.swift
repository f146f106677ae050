import Foundation

/// Typed access to the fields of a JSON object read from a file, such as `config.json`.
///
/// Each getter names the file and key in its error when a field is missing or has the wrong type;
/// fields nobody asks for are ignored. `null` counts as absent for the variants with a default and
/// the `…IfPresent` variants.
///
/// ```swift
/// let json = try JSONConfig(contentsOf: folder.appending(path: "config.json"))
/// let hidden = try json.int("hidden_size")                 // required
/// let eps = try json.double("layer_norm_eps", default: 1e-12)
/// let dropout = try json.doubleIfPresent("classifier_dropout")
/// ```
public struct JSONConfig: Sendable {
    /// The file the object came from, named in errors.
    public let file: URL?
    /// The object's members.
    public let values: [String: JSONValue]
    /// The path of this object inside the file ("" at the top, "id2label." for a nested one).
    public let keyPrefix: String

    /// Reads and parses `url`, which must hold a JSON object.
    public init(contentsOf url: URL) throws(CheckpointError) {
        let data: Data
        do { data = try FileContents.read(url) } catch { throw CheckpointError(file: url, error) }
        try self.init(data: data, file: url)
    }

    /// Parses `data`, which must hold a JSON object; errors name `file`.
    public init(data: Data, file: URL?) throws(CheckpointError) {
        let root: JSONValue
        do {
            root = try JSONValue.parse(data)
        } catch {
            throw CheckpointError(file: file, .invalidJSON(line: error.line, column: error.column, error.message))
        }
        guard case .object(let values) = root else {
            throw CheckpointError(file: file, .wrongType(expected: "a JSON object at the top level", found: root.excerpt))
        }
        self.init(values: values, file: file)
    }

    /// Wraps an object already parsed; errors name `file` and keys prefixed by `keyPrefix`.
    public init(values: [String: JSONValue], file: URL?, keyPrefix: String = "") {
        self.values = values
        self.file = file
        self.keyPrefix = keyPrefix
    }

    /// The raw value of `key`, or `nil` when absent.
    public subscript(key: String) -> JSONValue? { values[key] }

    /// `true` when `key` is present and not `null`.
    public func contains(_ key: String) -> Bool {
        if let value = values[key], !value.isNull { return true }
        return false
    }

    /// An error about `key` in this file, for checks the getters cannot make.
    public func error(_ key: String, _ reason: CheckpointError.Reason) -> CheckpointError {
        CheckpointError(file: file, key: keyPrefix + key, reason)
    }

    // MARK: Required fields

    /// The integer `key`; also accepts a number with an integral value such as `384.0`.
    public func int(_ key: String) throws(CheckpointError) -> Int {
        try required(key, intIfPresent(key))
    }

    /// The number `key`.
    public func double(_ key: String) throws(CheckpointError) -> Double {
        try required(key, doubleIfPresent(key))
    }

    /// The string `key`.
    public func string(_ key: String) throws(CheckpointError) -> String {
        try required(key, stringIfPresent(key))
    }

    /// The boolean `key`.
    public func bool(_ key: String) throws(CheckpointError) -> Bool {
        try required(key, boolIfPresent(key))
    }

    // MARK: Fields with defaults

    /// The integer `key`, or `defaultValue` when absent or `null`.
    public func int(_ key: String, default defaultValue: Int) throws(CheckpointError) -> Int {
        try intIfPresent(key) ?? defaultValue
    }

    /// The number `key`, or `defaultValue` when absent or `null`.
    public func double(_ key: String, default defaultValue: Double) throws(CheckpointError) -> Double {
        try doubleIfPresent(key) ?? defaultValue
    }

    /// The string `key`, or `defaultValue` when absent or `null`.
    public func string(_ key: String, default defaultValue: String) throws(CheckpointError) -> String {
        try stringIfPresent(key) ?? defaultValue
    }

    /// The boolean `key`, or `defaultValue` when absent or `null`.
    public func bool(_ key: String, default defaultValue: Bool) throws(CheckpointError) -> Bool {
        try boolIfPresent(key) ?? defaultValue
    }

    // MARK: Optional fields

    /// The integer `key`, or `nil` when absent or `null`.
    public func intIfPresent(_ key: String) throws(CheckpointError) -> Int? {
        try typed(key, expected: "an integer") { $0.intValue }
    }

    /// The number `key`, or `nil` when absent or `null`.
    public func doubleIfPresent(_ key: String) throws(CheckpointError) -> Double? {
        try typed(key, expected: "a number") { $0.doubleValue }
    }

    /// The string `key`, or `nil` when absent or `null`.
    public func stringIfPresent(_ key: String) throws(CheckpointError) -> String? {
        try typed(key, expected: "a string") { $0.stringValue }
    }

    /// The boolean `key`, or `nil` when absent or `null`.
    public func boolIfPresent(_ key: String) throws(CheckpointError) -> Bool? {
        try typed(key, expected: "a boolean (true or false)") { $0.boolValue }
    }

    /// The array of strings `key`, or `nil` when absent or `null`.
    public func stringsIfPresent(_ key: String) throws(CheckpointError) -> [String]? {
        try typed(key, expected: "an array of strings") { value in
            guard let elements = value.arrayValue else { return nil }
            let strings = elements.compactMap(\.stringValue)
            return strings.count == elements.count ? strings : nil
        }
    }

    /// The object `key` as a nested config whose errors name `key.field`, or `nil` when absent or `null`.
    public func objectIfPresent(_ key: String) throws(CheckpointError) -> JSONConfig? {
        try typed(key, expected: "an object") { value in
            value.objectValue.map { JSONConfig(values: $0, file: file, keyPrefix: keyPrefix + key + ".") }
        }
    }

    // MARK: Helpers

    private func typed<T>(_ key: String, expected: String, _ convert: (JSONValue) -> T?) throws(CheckpointError) -> T? {
        guard let value = values[key], !value.isNull else { return nil }
        guard let converted = convert(value) else {
            throw error(key, .wrongType(expected: expected, found: value.excerpt))
        }
        return converted
    }

    private func required<T>(_ key: String, _ value: T?) throws(CheckpointError) -> T {
        guard let value else {
            if values[key] == .null {
                throw error(key, .wrongType(expected: "a value", found: "null"))
            }
            throw error(key, .missingField)
        }
        return value
    }
}
