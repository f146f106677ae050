/// Several pre-tokenizers applied in order, each to the splits of the one before, as the `Sequence`
/// pre-tokenizer of Hugging Face `tokenizers`.
public struct PreTokenizerSequence: PreTokenizer {
    /// The pre-tokenizers, in order.
    public var preTokenizers: [any PreTokenizer]

    /// A sequence of pre-tokenizers.
    public init(_ preTokenizers: [any PreTokenizer]) {
        self.preTokenizers = preTokenizers
    }

    public func preTokenize(_ string: inout PreTokenizedString) {
        for preTokenizer in preTokenizers { preTokenizer.preTokenize(&string) }
    }
}
