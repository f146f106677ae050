import Layers
import Tensor

/// Runs an encoder's layers over its embeddings: the loop every family shares.
///
/// With ``EncoderInput/skipsPadding`` (and no attentions asked for), the padding rows are taken
/// out before the first layer: the layers see `[tokens, hidden]`, attention keeps each sequence
/// to itself, and every output is put back into `[batch, seq, hidden]` with zeros at padding.
///
/// In inference (no gradients recorded, no dropout) with more than one thread, the sequences are
/// split into one share per thread and each share runs through every layer on its own core, its
/// products and kernels serial. That removes the hand-off between cores at every operation; the
/// shares' outputs are joined in order afterwards.
///
/// - Parameters:
///   - embedded: the embeddings output, `[batch, seq, hidden]`.
///   - layers: the layers to run, in order. In inference they may run on several threads at once,
///     on different sequences.
///   - context: training or not, and which extra outputs to collect.
func runLayers(
    _ embedded: Tensor, input: EncoderInput, layers: [any EncoderLayer], context: ForwardContext
) -> (lastHiddenState: Tensor, hiddenStates: [Tensor]?, attentions: [Tensor]?) {
    let (batch, seq) = (input.batchSize, input.sequenceLength)
    let mask = input.attentionMask.ids
    let packs = input.skipsPadding && !context.outputsAttentions && mask.contains(0)
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
    let hidden = packs ? embedded.reshaped([batch * seq, width]).gathered(axis: 0, indices: rows) : embedded

    // Each share is a range of sequences; its activations are a range of rows along axis 0
    // (sequences when padded, tokens when packed).
    let costs = packs ? lengths : [Int](repeating: seq, count: batch)
    let shares = context.training || context.recordsGradients || Threads.isSplit
        ? [0..<batch] : LayerShares.split(costs, parts: Threads.count)
    // A padded batch with no padding needs no mask.
    let additive = packs ? nil : mask.contains(0) ? input.additiveMask : nil
    func run(_ share: Range<Int>) -> LayerOutputs {
        let single = shares.count == 1
        let layout: AttentionMask, start: Tensor
        if !packs {
            layout = .padded(single ? additive : additive?.sliced(axis: 0, share))
            start = single ? hidden : hidden.sliced(axis: 0, share)
        } else {
            let first = costs[..<share.lowerBound].reduce(0, +), tokens = costs[share].reduce(0, +)
            layout = .packed(lengths: Array(lengths[share]))
            start = single ? hidden : hidden.sliced(axis: 0, first..<first + tokens)
        }
        var outputs = LayerOutputs(last: start, hiddenStates: context.outputsHiddenStates ? [] : nil,
                                   attentions: context.outputsAttentions ? [] : nil)
        for layer in layers {
            let (output, probabilities) = layer(outputs.last, mask: layout, context)
            outputs.last = output
            outputs.hiddenStates?.append(output)
            outputs.attentions?.append(contentsOf: probabilities)
        }
        return outputs
    }
    let outputs: LayerOutputs
    if shares.count == 1 {
        outputs = run(shares[0])
    } else {
        // One slot per share: each thread writes its own object, none touches the array.
        let slots = shares.map { _ in ShareSlot() }
        Threads.concurrently(shares.count) { part in slots[part].outputs = run(shares[part]) }
        outputs = LayerOutputs(joining: slots.map { $0.outputs! })
    }
    let hiddenStates = outputs.hiddenStates.map { [embedded] + $0.map(padded) }
    // The last hidden state is also the last of the hidden states: put it back only once.
    let last = hiddenStates?.last ?? padded(outputs.last)
    return (last, hiddenStates, outputs.attentions)
}

/// Where one thread leaves its share's outputs.
private final class ShareSlot {
    var outputs: LayerOutputs?
}

/// What one share of the sequences produced, layer by layer.
private struct LayerOutputs {
    var last: Tensor
    var hiddenStates: [Tensor]?
    var attentions: [Tensor]?

    init(last: Tensor, hiddenStates: [Tensor]?, attentions: [Tensor]?) {
        (self.last, self.hiddenStates, self.attentions) = (last, hiddenStates, attentions)
    }

    /// The shares' outputs joined along axis 0, in share order.
    init(joining shares: [LayerOutputs]) {
        func join(_ pick: (LayerOutputs) -> [Tensor]?) -> [Tensor]? {
            guard let first = pick(shares[0]) else { return nil }
            return first.indices.map { i in Tensor.concat(shares.map { pick($0)![i] }, axis: 0) }
        }
        last = Tensor.concat(shares.map(\.last), axis: 0)
        hiddenStates = join(\.hiddenStates)
        attentions = join(\.attentions)
    }
}

/// How to split a batch's sequences between threads.
enum LayerShares {
    /// Up to `parts` contiguous ranges of `costs`' indices with about equal total cost each;
    /// one range when there is only one sequence or one part.
    static func split(_ costs: [Int], parts: Int) -> [Range<Int>] {
        let parts = min(parts, costs.count)
        let total = costs.reduce(0, +)
        guard parts > 1, total > 0 else { return [0..<costs.count] }
        var shares: [Range<Int>] = [], start = 0, sum = 0
        for (i, cost) in costs.enumerated() {
            // Share k should end where the running cost is nearest k/parts of the total: close it
            // before sequence i when taking i would overshoot by more than stopping falls short.
            let target = total * (shares.count + 1) / parts
            if i > start && shares.count < parts - 1 && sum + cost - target > target - sum {
                shares.append(start..<i)
                start = i
            }
            sum += cost
        }
        shares.append(start..<costs.count)
        return shares
    }
}
