/// How to pad encodings to a common length, as `enable_padding` of Hugging Face `tokenizers`.
///
/// The pad token, its id and its type id come from the tokenizer unless set here.
public struct Padding: Sendable, Hashable {
    /// The length to pad to.
    public enum Length: Sendable, Hashable {
        /// The longest encoding of the batch.
        case longest
        /// A fixed number of tokens (longer encodings are left as they are; truncate them for a hard limit).
        case fixed(Int)
    }

    /// Which side receives the padding.
    public enum Direction: String, Sendable, Hashable {
        /// Pad after the tokens.
        case right
        /// Pad before the tokens.
        case left
    }

    /// The length to pad to.
    public var length: Length
    /// Round the length up to a multiple of this (e.g. 8), if set.
    public var multipleOf: Int?
    /// Which side receives the padding.
    public var direction: Direction
    /// The pad token id; nil takes the tokenizer's pad token.
    public var padId: Int32?
    /// The type id of padding.
    public var padTypeId: Int32
    /// The pad token; nil takes the tokenizer's pad token.
    public var padToken: String?

    /// Padding to `length`.
    public init(
        length: Length = .longest, multipleOf: Int? = nil, direction: Direction = .right, padId: Int32? = nil,
        padTypeId: Int32 = 0, padToken: String? = nil
    ) {
        self.length = length
        self.multipleOf = multipleOf
        self.direction = direction
        self.padId = padId
        self.padTypeId = padTypeId
        self.padToken = padToken
    }

    /// The length a batch whose longest encoding has `longest` tokens is padded to.
    func targetLength(longest: Int) -> Int {
        var n: Int
        switch length {
        case .longest: n = longest
        case .fixed(let fixed): n = fixed
        }
        if let multiple = multipleOf, multiple > 0, n % multiple > 0 {
            n += multiple - n % multiple
        }
        return n
    }
}
