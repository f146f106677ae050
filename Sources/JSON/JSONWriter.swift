/// The one JSON writer: ``JSONValue/serialized(indent:)`` for documents, and the pieces the
/// command line and the server put together by hand for their hot output (vectors of floats),
/// where building a ``JSONValue`` first would cost more than the text.
public enum JSONWriter {
    /// `s` as a JSON string literal (``writeString(_:to:)``).
    public static func string(_ s: String) -> String {
        var out = ""
        writeString(s, to: &out)
        return out
    }

    /// A number: Swift's shortest text that reads back to the same `Float`, or `null` for NaN and
    /// infinities (which JSON cannot hold).
    public static func number(_ x: Float) -> String { x.isFinite ? "\(x)" : "null" }

    /// `[x, …]`, each by ``number(_:)``.
    public static func floats(_ values: some Sequence<Float>, into out: inout String) {
        out += "["
        for (i, x) in values.enumerated() {
            if i > 0 { out += "," }
            out += number(x)
        }
        out += "]"
    }

    /// `[x, …]`, each by ``number(_:)``.
    public static func floats(_ values: some Sequence<Float>) -> String {
        var out = ""
        floats(values, into: &out)
        return out
    }

    /// `[i, …]`
    public static func ints<T: BinaryInteger>(_ values: some Sequence<T>) -> String {
        "[" + values.map { "\($0)" }.joined(separator: ",") + "]"
    }

    /// Writes `s` as a JSON string literal: UTF-8 kept as is; quotes, backslashes, control characters
    /// (C0, DEL and C1) and the line and paragraph separators escaped, so the text is also safe inside
    /// JavaScript. The one JSON string escaper.
    public static func writeString(_ s: String, to out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value)
                || scalar.value == 0x2028 || scalar.value == 0x2029:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}

extension JSONValue {
    /// JSON text for this value, with object keys sorted.
    ///
    /// With `indent` it is laid out like Python's `json.dumps(value, indent=indent, sort_keys=True)`
    /// (the format of transformers' `config.json`); with `nil` it is compact, without spaces.
    /// Non-finite doubles are written as Python writes them (`NaN`, `Infinity`, `-Infinity`),
    /// which Python's `json` module and ``parse(_:)`` read back.
    public func serialized(indent: Int? = 2) -> String {
        var out = ""
        write(to: &out, indent: indent, level: 0)
        return out
    }

    private func write(to out: inout String, indent: Int?, level: Int) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += JSONValue.numberText(d)
        case .string(let s): JSONWriter.writeString(s, to: &out)
        case .array(let elements):
            if elements.isEmpty { out += "[]"; return }
            out += "["
            for (i, element) in elements.enumerated() {
                if i > 0 { out += "," }
                JSONValue.newline(&out, indent: indent, level: level + 1)
                element.write(to: &out, indent: indent, level: level + 1)
            }
            JSONValue.newline(&out, indent: indent, level: level)
            out += "]"
        case .object(let members):
            if members.isEmpty { out += "{}"; return }
            out += "{"
            for (i, key) in members.keys.sorted().enumerated() {
                if i > 0 { out += "," }
                JSONValue.newline(&out, indent: indent, level: level + 1)
                JSONWriter.writeString(key, to: &out)
                out += indent == nil ? ":" : ": "
                members[key]!.write(to: &out, indent: indent, level: level + 1)
            }
            JSONValue.newline(&out, indent: indent, level: level)
            out += "}"
        }
    }

    private static func newline(_ out: inout String, indent: Int?, level: Int) {
        guard let indent else { return }
        out += "\n" + String(repeating: " ", count: indent * level)
    }

    static func numberText(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d > 0 ? "Infinity" : "-Infinity" }
        // Swift's shortest round-trip form ("0.1", "1e-12", "1e+16") is valid JSON.
        return d.description
    }
}
