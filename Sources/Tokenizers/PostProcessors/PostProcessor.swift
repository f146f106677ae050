/// The fourth stage of the pipeline: adds special tokens (`[CLS]`, `[SEP]`) and type ids around one or two
/// encoded sequences and merges them.
///
/// Mirrors the `PostProcessor` trait of Hugging Face `tokenizers`.
public protocol PostProcessor: Sendable {
    /// How many special tokens ``process(_:pair:addSpecialTokens:)`` adds (truncation leaves room for them).
    func addedTokenCount(isPair: Bool) -> Int
    /// Merges `encoding` and `pair` into the model's input. Each input's `sequenceIds` are already set.
    func process(_ encoding: Encoding, pair: Encoding?, addSpecialTokens: Bool) -> Encoding
    /// The step ``PostProcessorSequence`` chains (`process_encodings` in `tokenizers`): the encodings of one input
    /// (one, or two for a pair), transformed, merged or not. The default merges with ``process(_:pair:addSpecialTokens:)``.
    func processEncodings(_ encodings: [Encoding], addSpecialTokens: Bool) -> [Encoding]
}

extension PostProcessor {
    public func processEncodings(_ encodings: [Encoding], addSpecialTokens: Bool) -> [Encoding] {
        guard let first = encodings.first else { return [] }
        return [process(first, pair: encodings.count > 1 ? encodings[1] : nil, addSpecialTokens: addSpecialTokens)]
    }

    /// The encodings concatenated, as `Encoding::merge` of `tokenizers` (type ids and sequence ids kept).
    static func merged(_ encodings: [Encoding]) -> Encoding {
        guard var out = encodings.first else { return Encoding() }
        for e in encodings.dropFirst() { out.append(contentsOf: e) }
        return out
    }
}
