import Foundation

/// How well predicted word tags match gold tags: token accuracy, per-tag scores and, for entity
/// tags in a B-/I- scheme, entity (span) scores.
///
/// Words whose gold tag is nil (not annotated) are left out of every count.
public struct TaggingMetrics: Sendable, Hashable, Codable {
    /// The number of words with a gold tag.
    public var tokenCount: Int
    /// The fraction of those words tagged correctly (0 for none).
    public var tokenAccuracy: Double
    /// Unweighted means over the per-tag scores.
    public var macro: AveragedScores
    /// The scores of every tag that occurs in the gold or predicted tags, sorted as
    /// ``LabelSet/init(collecting:)`` sorts.
    public var perTag: [ClassScores]
    /// Entity scores, when every tag is `O` or a `B-`, `I-`, `E-` or `S-` prefix and a type (IOB1,
    /// IOB2, IOBES), as CoNLL-2003 NER is scored; nil for other tag sets (parts of speech).
    public var spans: SpanScores?

    /// Compares predicted with gold tags, sentence by sentence.
    ///
    /// - Precondition: the same number of sentences, and of words in each.
    public init(predicted: [[String]], gold: [[String?]]) {
        precondition(predicted.count == gold.count, "\(gold.count) gold sentences but \(predicted.count) predicted")
        var tp: [String: Int] = [:], fp: [String: Int] = [:], fn: [String: Int] = [:]
        var total = 0, correct = 0
        for (p, g) in zip(predicted, gold) {
            precondition(p.count == g.count, "a sentence of \(g.count) gold tags has \(p.count) predicted")
            for (pt, gt) in zip(p, g) {
                guard let gt else { continue }
                total += 1
                if pt == gt {
                    correct += 1
                    tp[pt, default: 0] += 1
                } else {
                    fp[pt, default: 0] += 1
                    fn[gt, default: 0] += 1
                }
            }
        }
        let tags = LabelSet(collecting: Set(tp.keys).union(fp.keys).union(fn.keys)).labels
        tokenCount = total
        tokenAccuracy = ratio(correct, total)
        perTag = tags.map { ClassScores(label: $0, truePositives: tp[$0, default: 0], falsePositives: fp[$0, default: 0],
                                        falseNegatives: fn[$0, default: 0]) }
        macro = .macro(perTag)
        spans = SpanScores(predicted: predicted, gold: gold)
    }

    /// Compares all-annotated gold tags.
    public init(predicted: [[String]], gold: [[String]]) {
        self.init(predicted: predicted, gold: gold.map { $0.map { Optional($0) } })
    }

    /// Compares tag ids; a nil gold id is a word with no gold tag.
    ///
    /// - Precondition: every id is in `0..<tags.count`.
    public init(predicted: [[Int]], gold: [[Int?]], tags: LabelSet) {
        self.init(predicted: predicted.map { $0.map(tags.label(for:)) },
                  gold: gold.map { $0.map { $0.map(tags.label(for:)) } })
    }
}

/// Entity-level scores: an entity counts as correct only when its type and both its ends match,
/// as the CoNLL `conlleval` script and `seqeval` score them.
public struct SpanScores: Sendable, Hashable, Codable {
    /// Correct entities over predicted entities, all types together.
    public var precision: Double
    /// Correct entities over gold entities, all types together.
    public var recall: Double
    /// The harmonic mean of ``precision`` and ``recall``.
    public var f1: Double
    /// The number of entities in the gold tags.
    public var goldCount: Int
    /// The number of entities in the predicted tags.
    public var predictedCount: Int
    /// The number of predicted entities that match a gold one exactly.
    public var correctCount: Int
    /// Scores per entity type (`PER`, `LOC`, …), sorted.
    public var perType: [ClassScores]

    /// The scores of the entities in `predicted` and `gold`, or nil when the tags are not all `O` or
    /// `B-`/`I-`/`E-`/`S-` followed by a type, or the gold tags hold no entity. Words with no gold
    /// tag count as `O` on both sides.
    public init?(predicted: [[String]], gold: [[String?]]) {
        var anyEntity = false
        for (p, g) in zip(predicted, gold) {
            for (pt, gt) in zip(p, g) {
                guard let gt else { continue }
                guard let gc = Chunk.split(gt), Chunk.split(pt) != nil else { return nil }
                if gc.prefix != "O" { anyEntity = true }
            }
        }
        guard anyEntity else { return nil }

        var goldSpans: [String: Int] = [:], predictedSpans: [String: Int] = [:], correctSpans: [String: Int] = [:]
        for (p, g) in zip(predicted, gold) {
            let masked = zip(p, g).map { $1 == nil ? "O" : $0 }
            let goldChunks = Chunk.extract(g.map { $0 ?? "O" })
            let predictedChunks = Chunk.extract(masked)
            for c in goldChunks { goldSpans[c.type, default: 0] += 1 }
            for c in predictedChunks { predictedSpans[c.type, default: 0] += 1 }
            for c in Set(goldChunks).intersection(predictedChunks) { correctSpans[c.type, default: 0] += 1 }
        }
        goldCount = goldSpans.values.reduce(0, +)
        predictedCount = predictedSpans.values.reduce(0, +)
        correctCount = correctSpans.values.reduce(0, +)
        let micro = AveragedScores.micro(truePositives: correctCount, falsePositives: predictedCount - correctCount,
                                         falseNegatives: goldCount - correctCount)
        precision = micro.precision
        recall = micro.recall
        f1 = micro.f1
        let types = LabelSet(collecting: Set(goldSpans.keys).union(predictedSpans.keys)).labels
        perType = types.map { type in
            let tp = correctSpans[type, default: 0]
            return ClassScores(label: type, truePositives: tp, falsePositives: predictedSpans[type, default: 0] - tp,
                               falseNegatives: goldSpans[type, default: 0] - tp)
        }
    }
}

/// An entity: its type and the word range it covers.
struct Chunk: Hashable {
    var type: String
    var start: Int
    var end: Int

    /// `("B", "PER")` for `B-PER`, `("O", "")` for `O`; nil for a tag of another shape.
    static func split(_ tag: String) -> (prefix: Character, type: String)? {
        if tag == "O" { return ("O", "") }
        guard tag.count > 2, let first = tag.first, "BIES".contains(first),
              tag[tag.index(after: tag.startIndex)] == "-" else { return nil }
        return (first, String(tag.dropFirst(2)))
    }

    /// The entities of one sentence, read as `conlleval` reads them: an `I-` or `E-` that does not
    /// continue an entity of its type starts one (IOB1), so malformed predictions still score.
    static func extract(_ tags: [String]) -> [Chunk] {
        var chunks: [Chunk] = []
        var open: (type: String, start: Int)?
        var previous: (prefix: Character, type: String) = ("O", "")
        for (i, tag) in (tags + ["O"]).enumerated() {
            let current = split(tag) ?? ("O", "")
            let (p, t) = (previous.prefix, previous.type)
            let (c, u) = (current.prefix, current.type)
            // Does the open entity end before word i?
            let ends = p == "E" || p == "S" || ((p == "B" || p == "I") && (c == "B" || c == "S" || c == "O"))
                || (p != "O" && t != u)
            if ends, let o = open {
                chunks.append(Chunk(type: o.type, start: o.start, end: i))
                open = nil
            }
            // Does an entity start at word i?
            let starts = c == "B" || c == "S" || ((c == "I" || c == "E") && (p == "E" || p == "S" || p == "O"))
                || (c != "O" && t != u)
            if starts { open = (u, i) }
            previous = current
        }
        return chunks
    }
}
