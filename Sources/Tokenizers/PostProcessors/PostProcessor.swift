/// The fourth stage of the pipeline: adds special tokens (`[CLS]`, `[SEP]`) and type ids around one or two
/// encoded sequences and merges them.
///
/// Mirrors the `PostProcessor` trait of Hugging Face `tokenizers`.
public protocol PostProcessor: Sendable {
    /// How many special tokens ``process(_:pair:addSpecialTokens:)`` adds (truncation leaves room for them).
    func addedTokenCount(isPair: Bool) -> Int
    /// Merges `encoding` and `pair` into the model's input. Each input's `sequenceIds` are already set.
    func process(_ encoding: Encoding, pair: Encoding?, addSpecialTokens: Bool) -> Encoding
}
