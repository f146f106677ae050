import Foundation

/// How answers are read from start and end logits (`postprocess_qa_predictions` of transformers'
/// `run_qa`).
public struct AnswerSettings: Sendable, Equatable {
    /// Start and end tokens considered per window: the `nBest` highest of each (`--n-best`).
    public var nBest: Int
    /// The longest answer, in tokens (`--max-answer-length`).
    public var maxAnswerLength: Int
    /// SQuAD v2.0: answer "" when the first token's score (start + end) beats the best span's.
    public var allowsNoAnswer: Bool

    public init(nBest: Int = 20, maxAnswerLength: Int = 30, allowsNoAnswer: Bool = false) {
        self.nBest = nBest
        self.maxAnswerLength = maxAnswerLength
        self.allowsNoAnswer = allowsNoAnswer
    }

    public func validate() throws(TransferError) {
        guard nBest >= 1 else { throw .invalidSetting("--n-best must be at least 1, got \(nBest)") }
        guard maxAnswerLength >= 1 else { throw .invalidSetting("--max-answer-length must be at least 1, got \(maxAnswerLength)") }
    }
}

/// A predicted answer: the context's own characters.
public struct PredictedAnswer: Sendable, Equatable {
    /// The answer's text, `context[start..<end]` (empty: no answer, SQuAD v2.0).
    public var text: String
    /// The answer's probability among the n-best spans (a softmax over their start + end logits).
    public var score: Float
    /// Character offsets into the context (Unicode scalars, as Python's `str` indices).
    public var start: Int
    public var end: Int

    public init(text: String, score: Float, start: Int, end: Int) {
        self.text = text
        self.score = score
        self.start = start
        self.end = end
    }
}

/// Reads answers from start and end logits over all windows of an example.
public enum AnswerDecoder {
    /// One window's outputs: per token, its start and end logits, and its characters in the context
    /// (nil outside the context).
    public struct Window {
        public var startLogits: [Float]
        public var endLogits: [Float]
        public var offsets: [Range<Int>?]

        public init(startLogits: [Float], endLogits: [Float], offsets: [Range<Int>?]) {
            self.startLogits = startLogits
            self.endLogits = endLogits
            self.offsets = offsets
        }
    }

    /// The best answer: among the `nBest` highest start and end tokens of each window, the pairs
    /// inside the context with end ≥ start and at most `maxAnswerLength` tokens, by start + end
    /// logit; the n-best of those over all windows give the score's softmax.
    public static func answer(context: String, windows: [Window], settings: AnswerSettings) -> PredictedAnswer {
        let characters = Array(context.unicodeScalars)
        var candidates: [(score: Float, start: Int, end: Int)] = []
        var nullScore: Float? = nil
        for window in windows {
            let n = min(window.offsets.count, window.startLogits.count)
            let null = window.startLogits[0] + window.endLogits[0]
            if nullScore == nil || null < nullScore! { nullScore = null }
            let starts = top(window.startLogits, count: n, k: settings.nBest)
            let ends = top(window.endLogits, count: n, k: settings.nBest)
            for s in starts {
                guard let from = window.offsets[s] else { continue }
                for e in ends {
                    guard let to = window.offsets[e], e >= s, e - s + 1 <= settings.maxAnswerLength else { continue }
                    candidates.append((window.startLogits[s] + window.endLogits[e], from.lowerBound, to.upperBound))
                }
            }
        }
        if settings.allowsNoAnswer, let nullScore { candidates.append((nullScore, 0, 0)) }
        // Stable: equal scores keep the order found (window, then start rank, then end rank).
        candidates = candidates.enumerated().sorted { a, b in
            a.element.score != b.element.score ? a.element.score > b.element.score : a.offset < b.offset
        }.map(\.element)
        candidates = Array(candidates.prefix(settings.nBest))
        guard !candidates.isEmpty else { return PredictedAnswer(text: "", score: 0, start: 0, end: 0) }
        let m = candidates[0].score
        let exps = candidates.map { Foundation.exp(Double($0.score - m)) }
        let total = exps.reduce(0, +)
        func text(_ c: (score: Float, start: Int, end: Int)) -> String {
            let end = min(c.end, characters.count), start = min(c.start, end)
            return String(String.UnicodeScalarView(characters[start..<end]))
        }
        var best = 0
        if settings.allowsNoAnswer {
            // v2.0: the best non-null span, unless the null score beats it.
            if let i = candidates.firstIndex(where: { !($0.start == 0 && $0.end == 0) }), let nullScore, candidates[i].score >= nullScore {
                best = i
            } else {
                return PredictedAnswer(text: "", score: Float(exps[candidates.firstIndex { $0.start == 0 && $0.end == 0 } ?? 0] / total), start: 0, end: 0)
            }
        }
        let c = candidates[best]
        return PredictedAnswer(text: text(c), score: Float(exps[best] / total), start: c.start, end: c.end)
    }

    /// The indices of the `k` largest of `values[0..<count]`, largest first.
    static func top(_ values: [Float], count: Int, k: Int) -> [Int] {
        Array((0..<count).sorted { values[$0] != values[$1] ? values[$0] > values[$1] : $0 < $1 }.prefix(k))
    }
}
