import Models
import Tensor
import Tokenizers

extension EncoderInput {
    /// A batch from encodings, padded to the longest with `padId`.
    public init(encodings: [Encoding], padId: Int32 = 0) {
        self.init(sequences: encodings.map(\.ids), typeIds: encodings.map(\.typeIds), padId: padId)
    }

    /// A batch of one encoding.
    public init(_ encoding: Encoding) {
        self.init(encodings: [encoding])
    }
}

extension EncoderModel {
    /// Runs the model on one encoding, as `model(input_ids)` in transformers:
    ///
    /// ```swift
    /// let ids = tokenizer.encode("Hello, my dog is cute", addSpecialTokens: true)
    /// let lastHiddenStates = try model(ids).lastHiddenState   // shape [1, 8, 384]
    /// ```
    public func callAsFunction(_ encoding: Encoding) throws(ModelError) -> EncoderOutput {
        try self(EncoderInput(encoding), context: .inference)
    }
}
