/// Removes whitespace (Rust's `char::is_whitespace`) at the start and/or the end, as the `Strip` normalizer of
/// Hugging Face `tokenizers`.
public struct Strip: Normalizer, Hashable {
    /// Strip the start.
    public var left: Bool
    /// Strip the end.
    public var right: Bool

    /// A stripping normalizer.
    public init(left: Bool = true, right: Bool = true) {
        self.left = left
        self.right = right
    }

    public func normalize(_ string: inout NormalizedString) {
        let tables = CharacterTables.shared
        let scalars = string.scalars
        var start = 0
        var end = scalars.count
        if left { while start < end && tables.classOf(scalars[start]).contains(.whitespace) { start += 1 } }
        if right { while end > start && tables.classOf(scalars[end - 1]).contains(.whitespace) { end -= 1 } }
        string.keep(start..<end)
    }
}
