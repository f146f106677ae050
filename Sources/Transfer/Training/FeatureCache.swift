import Layers
import Models
import Tensor

/// The head's inputs computed once by a frozen encoder (in eval mode), so that training epochs and
/// evaluations after that cost only the head.
///
/// Sequence tasks keep one feature vector per example; tagging keeps the vectors of each word's
/// first sub-word, the only tokens the loss and the predictions read.
final class FeatureCache {
    let width: Int
    /// Per example: its rows of features (1 for sequence tasks, one per word start for tagging).
    var rows: [[Float]] = []
    /// For tagging, per example: the word index of each row.
    var rowWords: [[Int]] = []
    let data: PreparedData
    let tagging: Bool
    /// Question answering keeps every token's vector (rows per example: its tokens).
    let perToken: Bool

    /// `progress` gets the number of examples done after each batch. With several ranks, each computes
    /// every `ranks.size`-th batch; ``gather(over:)`` then gives every rank all of them.
    init(model: TransferModel, data: PreparedData, batchSize: Int = 64, ranks: Communicator = .single,
         progress: ((Int) -> Void)? = nil) throws(ModelError) {
        self.data = data
        tagging = model.head.task == .tagging
        perToken = model.head.task == .questionAnswering
        width = model.head.features.width(hidden: model.config.hiddenSize)
        rows = Array(repeating: [], count: data.count)
        rowWords = Array(repeating: [], count: data.count)
        var done = 0
        try model.inferBatches(data, batchSize: batchSize, ranks: ranks) { (indices, input) throws(ModelError) in
            let values = try model.features(input, context: .inference).scalars
            let seq = input.sequenceLength
            for (b, i) in indices.enumerated() {
                if tagging {
                    var flat: [Float] = [], words: [Int] = []
                    for (w, startToken) in data.wordStarts[i].enumerated() {
                        guard let t = startToken else { continue }
                        flat += values[((b * seq + t) * width)..<((b * seq + t + 1) * width)]
                        words.append(w)
                    }
                    rows[i] = flat
                    rowWords[i] = words
                } else if perToken {
                    rows[i] = Array(values[(b * seq * width)..<((b * seq + data.encodings[i].count) * width)])
                } else {
                    rows[i] = Array(values[(b * width)..<((b + 1) * width)])
                }
            }
            // With several ranks: about the examples done by all of them, as one process counts.
            done += indices.count * ranks.size
            progress?(min(done, data.count))
        }
    }

    /// The training loss of a batch, through the head only.
    func loss(model: TransferModel, indices: [Int], context: ForwardContext) throws -> Tensor {
        if tagging {
            guard case .tags(let tags) = data.targets else { throw TransferError.training("tagging data has no tags") }
            var flat: [Float] = [], targets: [Int32] = []
            for i in indices {
                flat += rows[i]
                for (w, _) in rowWords[i].enumerated() {
                    let token = data.wordStarts[i][rowWords[i][w]]!
                    targets.append(tags[i][token])
                }
            }
            let features = Tensor(shape: [targets.count, width], scalars: flat)
            return model.loss(logits: model.logits(features: features, context: context),
                              targets: .classes(IDTensor(shape: [targets.count], ids: targets)))
        }
        if perToken {
            // A batch padded with zeros, as the encoder's skipped padding gives them.
            let length = indices.map { rows[$0].count / width }.max() ?? 0
            var flat: [Float] = []
            flat.reserveCapacity(indices.count * length * width)
            for i in indices { flat += rows[i] + [Float](repeating: 0, count: length * width - rows[i].count) }
            guard let targets = data.batchTargets(indices, length: length) else { throw TransferError.training("training data has no labels") }
            let features = Tensor(shape: [indices.count, length, width], scalars: flat)
            return model.loss(logits: model.logits(features: features, context: context), targets: targets)
        }
        let features = Tensor(shape: [indices.count, width], scalars: indices.flatMap { rows[$0] })
        guard let targets = data.batchTargets(indices, length: 0) else { throw TransferError.training("training data has no labels") }
        return model.loss(logits: model.logits(features: features, context: context), targets: targets)
    }
}
