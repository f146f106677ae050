/// A class name or tag as read from a data file, checked and in one spelling per value.
enum LabelName {
    /// `name` with a number written one way (`1.0`, `01` and `+1` are `1`; `0.50` is `0.5`), so that
    /// numeric labels compare as numbers.
    ///
    /// - Throws: ``DataError/invalidLabel(file:line:value:expected:)`` when it holds a control character
    ///   (a NUL byte, a stray carriage return), which no label means to.
    static func checked(_ name: String, file: String, line: Int) throws(DataError) -> String {
        if name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            let shown = name.unicodeScalars.map { $0.properties.generalCategory == .control ? "\\u{\(String($0.value, radix: 16))}" : String($0) }
            throw .invalidLabel(file: file, line: line, value: shown.joined(), expected: "a label without control characters")
        }
        guard !name.isEmpty, name.utf8.allSatisfy({ "0123456789+-.eE".utf8.contains($0) }), let number = Double(name),
              number.isFinite else { return name }
        if number == number.rounded(), abs(number) < 1e15 { return String(Int64(number)) }
        return String(number)
    }
}
