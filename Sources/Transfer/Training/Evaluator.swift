import Models
import Tensor

/// Runs a model over prepared data in eval mode (no dropout, no gradients), in batches sorted
/// by length, and scores or returns its outputs.
public struct Evaluator {
    public let model: TransferModel
    public var batchSize = 64
    /// How question-answering outputs become answers.
    public var answerSettings = AnswerSettings()
    /// The ranks evaluating together: each runs every `size`-th batch (the batches one process
    /// makes, so the same outputs), and all of them get every output. One process by default.
    var ranks = Communicator.single

    public init(model: TransferModel, batchSize: Int = 64) {
        self.model = model
        self.batchSize = batchSize
    }

    /// Per example, the head's outputs (logits): one row for sequence tasks; for tagging, one row
    /// per word (nil for a word that produced no token or was truncated away).
    func outputs(_ data: PreparedData, cache: FeatureCache? = nil) throws -> [[[Float]?]] {
        let n = model.head.outputs
        var result = [[[Float]?]](repeating: [], count: data.count)
        if let cache {
            // The head alone, over the cached rows of `batchSize` examples at a time.
            for start in stride(from: 0, to: data.count, by: max(batchSize, 1)) {
                let indices = Array(start..<min(start + batchSize, data.count))
                let counts = indices.map { cache.rows[$0].count / cache.width }
                let features = Tensor(shape: [counts.reduce(0, +), cache.width], scalars: indices.flatMap { cache.rows[$0] })
                let logits = model.logits(features: features, context: .inference).scalars
                var row = 0
                for (i, count) in zip(indices, counts) {
                    let block = (row..<(row + count)).map { r in Array(logits[(r * n)..<((r + 1) * n)]) }
                    row += count
                    if cache.tagging {
                        var words = [[Float]?](repeating: nil, count: data.wordStarts[i].count)
                        for (r, w) in cache.rowWords[i].enumerated() { words[w] = block[r] }
                        result[i] = words
                    } else {
                        result[i] = block
                    }
                }
            }
            return result
        }
        var computed: [Int] = []
        try model.inferBatches(data, batchSize: batchSize, ranks: ranks) { indices, input in
            computed += indices
            let logits = try model.logits(input, context: .inference).scalars
            let seq = input.sequenceLength
            for (b, i) in indices.enumerated() {
                if model.head.task == .tagging {
                    result[i] = data.wordStarts[i].map { start in
                        start.map { t in Array(logits[((b * seq + t) * n)..<((b * seq + t + 1) * n)]) }
                    }
                } else if model.head.task == .questionAnswering {
                    result[i] = (0..<data.encodings[i].count).map { t in Array(logits[((b * seq + t) * n)..<((b * seq + t + 1) * n)]) }
                } else {
                    result[i] = [Array(logits[(b * n)..<((b + 1) * n)])]
                }
            }
        }
        try gather(&result, computed: computed, width: n)
        return result
    }

    /// The task's metrics on labelled data.
    public func metrics(_ data: PreparedData) throws -> Metrics { try metrics(data, cache: nil) }

    func metrics(_ data: PreparedData, cache: FeatureCache?) throws -> Metrics {
        let outputs = try outputs(data, cache: cache)
        let labels = LabelSet(model.head.labels)
        switch data.targets {
        case .classes(let gold):
            let predicted = outputs.map { argmax($0[0]!) }
            return .classification(ClassificationMetrics(predicted: predicted, gold: gold.map { Int($0) }, labels: labels))
        case .values(let gold):
            return .regression(RegressionMetrics(predicted: outputs.map { $0[0]![0] }, gold: gold))
        case .multiHot(let gold):
            let predicted = outputs.map { Set($0[0]!.enumerated().filter { $0.element > 0 }.map(\.offset)) }
            let goldSets = gold.map { Set($0.enumerated().filter { $0.element > 0.5 }.map(\.offset)) }
            return .multiLabel(MultiLabelMetrics(predicted: predicted, gold: goldSets, labels: labels))
        case .tags(let tags):
            var predicted: [[String]] = [], goldTags: [[String?]] = []
            for (i, words) in outputs.enumerated() {
                predicted.append(words.map { $0.map { labels.label(for: argmax($0)) } ?? "<no token>" })
                goldTags.append(data.wordStarts[i].enumerated().map { w, start in
                    guard let start else { return goldTagOfUntokenized(data, i, w) }
                    let id = tags[i][start]
                    return id >= 0 ? labels.label(for: Int(id)) : nil
                })
            }
            return .tagging(TaggingMetrics(predicted: predicted, gold: goldTags))
        case .spans:
            guard let questions = data.questions else { throw TransferError.training("question-answering data has no windows") }
            let predicted = answers(questions, outputs: outputs).map(\.text)
            return .questionAnswering(QuestionAnsweringMetrics(predicted: predicted, gold: questions.examples.map { $0.answers.map(\.text) }))
        case .none:
            throw TransferError.training("cannot score data without labels")
        }
    }

    /// Gold tags of words with no token are not kept in the prepared data; they count as words the
    /// model could not tag, so the metrics stay honest. The tag is recovered from `goldWordTags`.
    private func goldTagOfUntokenized(_ data: PreparedData, _ i: Int, _ w: Int) -> String? {
        data.goldWordTags.flatMap { $0[i][w] }
    }
}

@inline(__always) func argmax(_ values: [Float]) -> Int {
    var best = 0
    for i in values.indices where values[i] > values[best] { best = i }
    return best
}
