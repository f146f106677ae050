import Tensor

/// What an encoder returns, named as transformers names it.
public struct EncoderOutput {
    /// The last layer's output `[batch, seq, hidden]` (`outputs[0]` in transformers).
    public var lastHiddenState: Tensor
    /// The pooler's dense + tanh on the first token `[batch, hidden]`, when the model has a pooler.
    public var poolerOutput: Tensor?
    /// The embeddings output followed by each layer's output, when requested.
    public var hiddenStates: [Tensor]?
    /// Each layer's attention probabilities `[batch, heads, seq, seq]`, when requested.
    public var attentions: [Tensor]?
}
