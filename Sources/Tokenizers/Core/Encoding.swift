/// The result of tokenizing one text or one pair of texts: everything a model and its task heads need.
///
/// Mirrors `Encoding` of Hugging Face `tokenizers`. All arrays have one element per token.
public struct Encoding: Sendable, Equatable {
    /// Token ids.
    public var ids: [Int32]
    /// Token strings (`"##ing"`, `"[CLS]"`, …).
    public var tokens: [String]
    /// For each token, the range of Unicode scalars of the original text it comes from (`text.unicodeScalars`
    /// indices, as `tokenizers` reports them in Python); `0..<0` for special and padding tokens.
    public var offsets: [Range<Int>]
    /// Segment (token type) ids: 0 for the first sequence, 1 for the second, as the post-processor sets them.
    public var typeIds: [Int32]
    /// 1 for real tokens, 0 for padding.
    public var attentionMask: [Int32]
    /// 1 for tokens added by the post-processor or padding, 0 for tokens of the text.
    public var specialTokensMask: [Int32]
    /// For each token, the index of the word of its sequence it comes from; nil for special and padding tokens.
    public var wordIds: [Int?]
    /// For each token, 0 or 1 for the sequence it belongs to; nil for special and padding tokens.
    public var sequenceIds: [Int?]

    /// An empty encoding.
    public init() {
        ids = []
        tokens = []
        offsets = []
        typeIds = []
        attentionMask = []
        specialTokensMask = []
        wordIds = []
        sequenceIds = []
    }

    /// An encoding from all its columns, which must have the same length.
    public init(
        ids: [Int32], tokens: [String], offsets: [Range<Int>], typeIds: [Int32], attentionMask: [Int32],
        specialTokensMask: [Int32], wordIds: [Int?], sequenceIds: [Int?]
    ) {
        precondition(
            [tokens.count, offsets.count, typeIds.count, attentionMask.count, specialTokensMask.count, wordIds.count,
             sequenceIds.count].allSatisfy { $0 == ids.count },
            "Encoding: all columns must have one element per token")
        self.ids = ids
        self.tokens = tokens
        self.offsets = offsets
        self.typeIds = typeIds
        self.attentionMask = attentionMask
        self.specialTokensMask = specialTokensMask
        self.wordIds = wordIds
        self.sequenceIds = sequenceIds
    }

    /// The number of tokens.
    public var count: Int { ids.count }

    /// Whether there are no tokens.
    public var isEmpty: Bool { ids.isEmpty }

    mutating func reserveCapacity(_ n: Int) {
        ids.reserveCapacity(n)
        tokens.reserveCapacity(n)
        offsets.reserveCapacity(n)
        typeIds.reserveCapacity(n)
        attentionMask.reserveCapacity(n)
        specialTokensMask.reserveCapacity(n)
        wordIds.reserveCapacity(n)
        sequenceIds.reserveCapacity(n)
    }

    /// Appends one token.
    mutating func append(
        id: Int32, token: String, offsets range: Range<Int>, typeId: Int32, special: Bool, wordId: Int?,
        sequenceId: Int?, attention: Int32 = 1
    ) {
        ids.append(id)
        tokens.append(token)
        offsets.append(range)
        typeIds.append(typeId)
        attentionMask.append(attention)
        specialTokensMask.append(special ? 1 : 0)
        wordIds.append(wordId)
        sequenceIds.append(sequenceId)
    }

    /// Appends all tokens of `other`.
    mutating func append(contentsOf other: Encoding) {
        ids.append(contentsOf: other.ids)
        tokens.append(contentsOf: other.tokens)
        offsets.append(contentsOf: other.offsets)
        typeIds.append(contentsOf: other.typeIds)
        attentionMask.append(contentsOf: other.attentionMask)
        specialTokensMask.append(contentsOf: other.specialTokensMask)
        wordIds.append(contentsOf: other.wordIds)
        sequenceIds.append(contentsOf: other.sequenceIds)
    }

    /// Appends all tokens of `other`, with type id `typeId`.
    mutating func append(contentsOf other: Encoding, typeId: Int32) {
        let start = typeIds.count
        append(contentsOf: other)
        for i in start..<typeIds.count { typeIds[i] = typeId }
    }

    /// Keeps `maxLength` tokens: the first ones (`.right`) or the last ones (`.left`).
    public mutating func truncate(to maxLength: Int, direction: Truncation.Direction = .right) {
        guard maxLength < count else { return }
        let keep = direction == .right ? 0..<maxLength : (count - maxLength)..<count
        ids = Array(ids[keep])
        tokens = Array(tokens[keep])
        offsets = Array(offsets[keep])
        typeIds = Array(typeIds[keep])
        attentionMask = Array(attentionMask[keep])
        specialTokensMask = Array(specialTokensMask[keep])
        wordIds = Array(wordIds[keep])
        sequenceIds = Array(sequenceIds[keep])
    }

    /// Pads to `length` tokens with `padId`/`padToken`, on the right or the left. Longer encodings are unchanged.
    public mutating func pad(
        to length: Int, padId: Int32, padTypeId: Int32 = 0, padToken: String, direction: Padding.Direction = .right
    ) {
        let n = length - count
        guard n > 0 else { return }
        func padded<T>(_ column: [T], _ value: T) -> [T] {
            direction == .right
                ? column + repeatElement(value, count: n)
                : Array(repeatElement(value, count: n)) + column
        }
        ids = padded(ids, padId)
        tokens = padded(tokens, padToken)
        offsets = padded(offsets, 0..<0)
        typeIds = padded(typeIds, padTypeId)
        attentionMask = padded(attentionMask, 0)
        specialTokensMask = padded(specialTokensMask, 1)
        wordIds = padded(wordIds, nil)
        sequenceIds = padded(sequenceIds, nil)
    }
}
