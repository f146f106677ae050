import Tensor

/// A batch of token sequences, padded to one length, as a model reads them.
public struct EncoderInput: Sendable {
    /// Token ids `[batch, seq]`.
    public var inputIds: IDTensor
    /// 1 for a real token, 0 for padding, `[batch, seq]`.
    public var attentionMask: IDTensor
    /// Segment ids `[batch, seq]` (0 for the first text, 1 for the pair).
    public var tokenTypeIds: IDTensor
    /// Run the encoder layers on the real tokens only, packed back to back, instead of on the
    /// padded batch. Each token still attends to exactly the tokens it would with padding, so
    /// every real position's output is unchanged (up to float rounding), but the outputs at
    /// padding positions are zero instead of what transformers computes there. Pooling and heads
    /// never read those, and a batch of short texts padded to its longest costs a fraction of
    /// the work. Ignored when attentions are asked for. Off by default.
    public var skipsPadding = false

    public init(inputIds: IDTensor, attentionMask: IDTensor? = nil, tokenTypeIds: IDTensor? = nil) {
        self.inputIds = inputIds
        self.attentionMask = attentionMask ?? IDTensor(shape: inputIds.shape, ids: .init(repeating: 1, count: inputIds.ids.count))
        self.tokenTypeIds = tokenTypeIds ?? IDTensor(shape: inputIds.shape, ids: .init(repeating: 0, count: inputIds.ids.count))
    }

    /// Pads sequences of different lengths with `padId` (mask 0) to the longest.
    public init(sequences: [[Int32]], typeIds: [[Int32]]? = nil, padId: Int32 = 0) {
        let length = sequences.map(\.count).max() ?? 0
        var ids: [Int32] = [], mask: [Int32] = [], types: [Int32] = []
        for (i, s) in sequences.enumerated() {
            let pad = length - s.count
            ids += s + Array(repeating: padId, count: pad)
            mask += Array(repeating: 1, count: s.count) + Array(repeating: 0, count: pad)
            types += (typeIds?[i] ?? Array(repeating: 0, count: s.count)) + Array(repeating: 0, count: pad)
        }
        let shape = [sequences.count, length]
        self.init(inputIds: IDTensor(shape: shape, ids: ids), attentionMask: IDTensor(shape: shape, ids: mask),
                  tokenTypeIds: IDTensor(shape: shape, ids: types))
    }

    public var batchSize: Int { inputIds.shape[0] }
    public var sequenceLength: Int { inputIds.shape.count > 1 ? inputIds.shape[1] : 0 }

    /// The mask as floats (1 keep, 0 pad), for pooling.
    public var maskTensor: Tensor {
        Tensor(shape: attentionMask.shape, scalars: attentionMask.ids.map { $0 != 0 ? 1 : 0 })
    }

    /// The additive attention mask: 0 where attended, the most negative Float where padded, as
    /// transformers builds it.
    public var additiveMask: Tensor {
        Tensor(shape: attentionMask.shape, scalars: attentionMask.ids.map { $0 != 0 ? 0 : -Float.greatestFiniteMagnitude })
    }
}

extension EncoderInput {
    /// Checks what every family needs of its input: matching `[batch, seq]` shapes, at most
    /// `maximumLength` tokens, ids in the vocabulary and, when the family reads token types
    /// (`typeVocabularySize` not nil), type ids in range.
    func validate(vocabularySize: Int, typeVocabularySize: Int?, maximumLength: Int) throws(ModelError) {
        guard inputIds.shape.count == 2, attentionMask.shape == inputIds.shape,
              typeVocabularySize == nil || tokenTypeIds.shape == inputIds.shape else {
            throw .shapeMismatch("input ids \(inputIds.shape), attention mask \(attentionMask.shape), token types \(tokenTypeIds.shape)")
        }
        if sequenceLength > maximumLength {
            throw .sequenceTooLong(length: sequenceLength, maximum: maximumLength)
        }
        for (i, id) in inputIds.ids.enumerated() where id < 0 || Int(id) >= vocabularySize {
            throw .idOutOfRange(id: id, vocabularySize: vocabularySize, position: i % max(sequenceLength, 1))
        }
        if let typeVocabularySize {
            for id in tokenTypeIds.ids where id < 0 || Int(id) >= typeVocabularySize {
                throw .tokenTypeOutOfRange(id: id, typeVocabularySize: typeVocabularySize)
            }
        }
    }
}
