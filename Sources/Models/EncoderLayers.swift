import Tensor

/// Runs an encoder's layers over its embeddings: the loop every family shares.
///
/// With ``EncoderInput/skipsPadding`` (and no attentions asked for), the padding rows are taken
/// out before the first layer: the layers see `[tokens, hidden]`, attention keeps each sequence
/// to itself, and every output is put back into `[batch, seq, hidden]` with zeros at padding.
///
/// - Parameters:
///   - embedded: the embeddings output, `[batch, seq, hidden]`.
///   - count: how many layers to run.
///   - layer: runs layer `l` on hidden states under a mask; returns its output and attention
///     probabilities (one per layer application).
func runLayers(
    _ embedded: Tensor, input: EncoderInput, count: Int, outputHiddenStates: Bool, outputAttentions: Bool,
    layer: (_ l: Int, _ hidden: Tensor, _ mask: AttentionMask) -> (output: Tensor, probabilities: [Tensor])
) -> (lastHiddenState: Tensor, hiddenStates: [Tensor]?, attentions: [Tensor]?) {
    let (batch, seq) = (input.batchSize, input.sequenceLength)
    let mask = input.attentionMask.ids
    let packs = input.skipsPadding && !outputAttentions && mask.contains(0)
    var rows: [Int] = [], lengths = [Int](repeating: 0, count: batch)
    if packs {
        for (i, m) in mask.enumerated() where m != 0 {
            rows.append(i)
            lengths[i / seq] += 1
        }
    }
    let width = embedded.shape.last ?? 0
    func padded(_ hidden: Tensor) -> Tensor {
        packs ? hidden.scattered(rows: rows, count: batch * seq).reshaped([batch, seq, width]) : hidden
    }
    let layout: AttentionMask = packs ? .packed(lengths: lengths) : .padded(input.additiveMask)
    var hidden = packs ? embedded.reshaped([batch * seq, width]).gathered(axis: 0, indices: rows) : embedded
    var hiddenStates = outputHiddenStates ? [embedded] : nil
    var attentions: [Tensor]? = outputAttentions ? [] : nil
    for l in 0..<count {
        let (output, probabilities) = layer(l, hidden, layout)
        hidden = output
        hiddenStates?.append(padded(hidden))
        attentions?.append(contentsOf: probabilities)
    }
    // The last hidden state is also the last of the hidden states: put it back only once.
    let last = hiddenStates?.last ?? padded(hidden)
    return (last, hiddenStates, attentions)
}
