import Foundation
import Models
import Tensor
import Tokenizers

/// Examples tokenized for a model, with their targets: what the trainer and evaluator batch from.
public struct PreparedData: Sendable {
    /// Token ids etc. of each example (truncated to the max length).
    public var encodings: [Encoding]
    public var targets: PreparedTargets
    /// For tagging: per example, the token index of each word's first sub-word (nil when the word
    /// produced no token or was truncated away).
    public var wordStarts: [[Int?]]
    /// For tagging: the gold tag of every word (nil where the data has none), so that words the
    /// model cannot see still count in the metrics.
    public var goldWordTags: [[String?]]? = nil
    /// The tokenizer's padding id, which batches pad with (masked out either way; RoBERTa's is 1).
    public var padId: Int32 = 0
    /// For question answering: what each window comes from, to read answers from its outputs.
    public var questions: QuestionWindows? = nil

    public var count: Int { encodings.count }

    /// A 64-bit FNV-1a hash of the token ids and targets: a resumed run checks that it trains on
    /// the data its checkpoint was made from.
    public var fingerprint: String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ value: UInt64) {
            var v = value
            for _ in 0..<8 { hash = (hash ^ (v & 0xff)) &* 0x100_0000_01b3; v >>= 8 }
        }
        mix(UInt64(count))
        for encoding in encodings {
            mix(UInt64(encoding.ids.count))
            for id in encoding.ids { mix(UInt64(truncatingIfNeeded: id)) }
        }
        switch targets {
        case .classes(let ids): for id in ids { mix(UInt64(truncatingIfNeeded: id)) }
        case .values(let values): for v in values { mix(UInt64(v.bitPattern)) }
        case .multiHot(let rows): for row in rows { for v in row { mix(UInt64(v.bitPattern)) } }
        case .tags(let rows): for row in rows { for id in row { mix(UInt64(truncatingIfNeeded: id)) } }
        case .spans(let starts, let ends): for id in starts + ends { mix(UInt64(truncatingIfNeeded: id)) }
        case .none: mix(0)
        }
        return String(hash, radix: 16)
    }
}

/// Targets of prepared examples, by task.
public enum PreparedTargets: Sendable {
    case classes([Int32])
    case values([Float])
    case multiHot([[Float]])
    /// Per example, per token: the tag id on a word's first sub-word, −100 elsewhere.
    case tags([[Int32]])
    /// Question answering, per window: the answer's first and last token (0 and 0: not in the window).
    case spans(starts: [Int32], ends: [Int32])
    /// Unlabelled data (prediction).
    case none
}

extension PreparedData {
    /// Tokenizes classification, regression or multi-label examples.
    public static func sequences(_ dataset: ClassificationDataset, head: HeadSettings, tokenizer: Tokenizer, maxLength: Int) throws -> PreparedData {
        var t = tokenizer
        t.truncation = Truncation(maxLength: maxLength)
        t.padding = nil
        let examples = dataset.examples
        let hasPairs = examples.contains { $0.pair != nil }
        let encodings = hasPairs
            ? examples.map { t.encode($0.text, pair: $0.pair) }
            : t.encodeBatch(examples.map(\.text))
        let labels = LabelSet(head.labels)
        let targets: PreparedTargets
        switch head.task {
        case .classification: targets = .classes(try dataset.labelIDs(in: labels).map { Int32($0) })
        case .regression: targets = .values(dataset.regressionTargets())
        case .multiLabel: targets = .multiHot(try dataset.multiHotTargets(in: labels))
        case .tagging: throw TransferError.invalidSetting("a tagging head needs tagging data (CoNLL-U or CoNLL-2003), not \(dataset.source)")
        case .questionAnswering: throw TransferError.invalidSetting("a question-answering head needs questions (SQuAD JSON or JSON Lines), not \(dataset.source)")
        }
        return PreparedData(encodings: encodings, targets: targets, wordStarts: [], padId: t.padTokenId ?? 0)
    }

    /// Tokenizes texts with no labels, for prediction.
    public static func unlabelled(_ texts: [String], tokenizer: Tokenizer, maxLength: Int) -> PreparedData {
        var t = tokenizer
        t.truncation = Truncation(maxLength: maxLength)
        t.padding = nil
        return PreparedData(encodings: t.encodeBatch(texts), targets: .none, wordStarts: [], padId: t.padTokenId ?? 0)
    }

    /// Inputs already tokenized (and truncated) by the caller, with no labels, for prediction.
    public static func unlabelled(encodings: [Encoding], padId: Int32) -> PreparedData {
        PreparedData(encodings: encodings, targets: .none, wordStarts: [], padId: padId)
    }

    /// Tokenizes sentences given as words, with no tags, for prediction.
    public static func unlabelledWords(_ sentences: [[String]], tokenizer: Tokenizer, maxLength: Int) -> PreparedData {
        var t = tokenizer
        t.truncation = Truncation(maxLength: maxLength)
        t.padding = nil
        let encoded = sentences.map { encodeWords($0, tokenizer: t) }
        return PreparedData(encodings: encoded.map(\.0), targets: .none, wordStarts: encoded.map(\.1),
                            padId: t.padTokenId ?? 0)
    }

    /// Tokenizes tagged sentences: the words are joined by spaces, and each word's tag goes on its
    /// first sub-word (the other sub-words are ignored by the loss), as transformers' token
    /// classification examples do with `is_split_into_words=True`.
    public static func tagging(_ dataset: TaggingDataset, head: HeadSettings, tokenizer: Tokenizer, maxLength: Int) throws -> PreparedData {
        let tags = LabelSet(head.labels)
        let ids = try dataset.tagIDs(in: tags)
        var t = tokenizer
        t.truncation = Truncation(maxLength: maxLength)
        t.padding = nil
        var encodings: [Encoding] = [], targets: [[Int32]] = [], starts: [[Int?]] = []
        for (s, sentence) in dataset.sentences.enumerated() {
            let (encoding, wordStarts) = encodeWords(sentence.words, tokenizer: t)
            var target = [Int32](repeating: -100, count: encoding.count)
            for (w, start) in wordStarts.enumerated() {
                if let start, let tag = ids[s][w] { target[start] = Int32(tag) }
            }
            encodings.append(encoding)
            targets.append(target)
            starts.append(wordStarts)
        }
        return PreparedData(encodings: encodings, targets: .tags(targets), wordStarts: starts,
                            goldWordTags: dataset.sentences.map(\.goldTags), padId: t.padTokenId ?? 0)
    }

    /// Encodes words joined by single spaces and finds each word's first token by its offsets.
    static func encodeWords(_ words: [String], tokenizer: Tokenizer) -> (Encoding, [Int?]) {
        var text = ""
        var ranges: [Range<Int>] = []
        var position = 0
        for (i, word) in words.enumerated() {
            if i > 0 { text += " "; position += 1 }
            let length = word.unicodeScalars.count
            ranges.append(position..<(position + length))
            text += word
            position += length
        }
        let encoding = tokenizer.encode(text)
        var starts = [Int?](repeating: nil, count: words.count)
        var w = 0
        for (i, offset) in encoding.offsets.enumerated() where encoding.specialTokensMask[i] == 0 {
            while w < ranges.count && ranges[w].upperBound <= offset.lowerBound { w += 1 }
            if w < ranges.count && ranges[w].contains(offset.lowerBound) && starts[w] == nil { starts[w] = i }
        }
        return (encoding, starts)
    }

    /// A padded batch of the examples at `indices`.
    public func input(_ indices: [Int]) -> EncoderInput {
        EncoderInput(sequences: indices.map { encodings[$0].ids }, typeIds: indices.map { encodings[$0].typeIds }, padId: padId)
    }

    /// The targets of the examples at `indices`, shaped for a batch padded to `length` tokens.
    public func batchTargets(_ indices: [Int], length: Int) -> Targets? {
        switch targets {
        case .classes(let ids): return .classes(IDTensor(shape: [indices.count], ids: indices.map { ids[$0] }))
        case .values(let values): return .values(Tensor(shape: [indices.count, 1], scalars: indices.map { values[$0] }))
        case .multiHot(let rows):
            return .multiHot(Tensor(shape: [indices.count, rows.first?.count ?? 0], scalars: indices.flatMap { rows[$0] }))
        case .tags(let rows):
            var ids: [Int32] = []
            for i in indices { ids += rows[i] + Array(repeating: -100, count: length - rows[i].count) }
            return .classes(IDTensor(shape: [indices.count * length], ids: ids))
        case .spans(let starts, let ends):
            return .spans(IDTensor(shape: [indices.count * 2], ids: indices.flatMap { [starts[$0], ends[$0]] }),
                          lengths: indices.map { encodings[$0].count })
        case .none: return nil
        }
    }
}

extension TransferModel {
    /// The one batched inference loop over prepared data (its forward passes run in
    /// ``ForwardContext/inference``): batches of `batchSize` sorted by length (only this rank's
    /// share of them with several ranks).
    /// `body` gets each batch's example indices and input; `progress` the examples done so far.
    func inferBatches<E: Error>(
        _ data: PreparedData, batchSize: Int, ranks: Communicator = .single, progress: ((Int) -> Void)? = nil,
        _ body: (_ indices: [Int], _ input: EncoderInput) throws(E) -> Void
    ) throws(E) {
        var done = 0
        let batches = lengthSortedBatches(data.encodings.map(\.count), size: batchSize, shard: Shard(index: ranks.rank, of: ranks.size))
        for indices in batches {
            try body(indices, data.input(indices))
            done += indices.count
            progress?(done)
        }
    }
}
