import Foundation
import Tokenizers

/// The windows (features) of question-answering examples, as transformers' `run_qa` makes them:
/// each window is `[CLS] question [SEP] part of the context [SEP]` (or the model's own template),
/// the question whole, the context cut into pieces that overlap by `docStride` tokens.
public struct QuestionWindows: Sendable {
    /// The examples the windows come from.
    public var examples: [QuestionExample]
    /// Per window: the index of its example.
    public var example: [Int]
    /// Per window, per token: the token's characters in the context for context tokens, nil for
    /// the question, special and padding tokens (only context tokens can be an answer).
    public var contextOffsets: [[Range<Int>?]]

    /// The windows of each example, in order.
    public var windowsOfExample: [[Int]] {
        var result = [[Int]](repeating: [], count: examples.count)
        for (w, e) in example.enumerated() { result[e].append(w) }
        return result
    }
}

/// How contexts are cut into windows.
public struct WindowSettings: Sendable, Equatable {
    /// The window's length in tokens, question and special tokens included (`--max-length`).
    public var maxLength: Int
    /// Tokens shared by consecutive windows of one context (`--doc-stride`).
    public var docStride: Int

    public init(maxLength: Int = 384, docStride: Int = 128) {
        self.maxLength = maxLength
        self.docStride = docStride
    }

    public func validate() throws(TransferError) {
        guard maxLength > 0 else { throw .invalidSetting("--max-length must be positive, got \(maxLength)") }
        guard docStride >= 0 else { throw .invalidSetting("--doc-stride must be 0 or more, got \(docStride)") }
        guard docStride < maxLength else {
            throw .invalidSetting("--doc-stride \(docStride) must be less than --max-length \(maxLength): "
                + "windows would overlap by a whole window and never move on")
        }
    }
}

extension PreparedData {
    /// Cuts question-answering examples into windows and, with `labelled`, points each window at
    /// its answer: the first and last tokens of the answer's characters when the window holds all
    /// of them, else the first token (`[CLS]`) for both, as `prepare_train_features` does.
    ///
    /// - Throws: ``QuestionDataError`` naming the question when its question leaves no room for
    ///   the context in `maxLength` tokens, or less than `docStride` tokens.
    public static func questions(_ examples: [QuestionExample], source: String, tokenizer: Tokenizer,
                                 settings: WindowSettings, labelled: Bool) throws -> PreparedData {
        try settings.validate()
        var t = tokenizer
        t.truncation = nil
        t.padding = nil
        var windows = QuestionWindows(examples: examples, example: [], contextOffsets: [])
        var encodings: [Encoding] = [], starts: [Int32] = [], ends: [Int32] = []
        for (e, example) in examples.enumerated() {
            // run_qa strips the question's leading white space: some SQuAD questions have lots of it.
            let question = String(example.question.drop(while: \.isWhitespace))
            let full = t.encode(question, pair: example.context)
            let contextTokens = full.sequenceIds.indices.filter { full.sequenceIds[$0] == 1 && full.specialTokensMask[$0] == 0 }
            func fail(_ message: String) -> QuestionDataError {
                QuestionDataError(file: source, place: .question(example.id), message: message)
            }
            guard let first = contextTokens.first, let last = contextTokens.last else { throw fail("the context has no tokens") }
            let prefix = Array(0..<first), suffix = Array((last + 1)..<full.count)
            let room = settings.maxLength - prefix.count - suffix.count
            guard room > 0 else {
                throw fail("the question is \(prefix.count + suffix.count) tokens with the special tokens, which leaves no room "
                    + "for the context in --max-length \(settings.maxLength); the question is never cut: raise --max-length")
            }
            guard settings.docStride < room else {
                throw fail("the question leaves \(room) context tokens a window, not more than --doc-stride \(settings.docStride); "
                    + "lower --doc-stride or raise --max-length")
            }
            let contextCount = last - first + 1
            var start = 0
            while true {
                let stop = min(start + room, contextCount)
                let indices = prefix + Array((first + start)..<(first + stop)) + suffix
                encodings.append(Encoding(ids: indices.map { full.ids[$0] }, tokens: indices.map { full.tokens[$0] },
                                          offsets: indices.map { full.offsets[$0] }, typeIds: indices.map { full.typeIds[$0] },
                                          attentionMask: indices.map { full.attentionMask[$0] },
                                          specialTokensMask: indices.map { full.specialTokensMask[$0] },
                                          wordIds: indices.map { full.wordIds[$0] }, sequenceIds: indices.map { full.sequenceIds[$0] }))
                let offsets: [Range<Int>?] = indices.map { i in (first...last).contains(i) ? full.offsets[i] : nil }
                windows.example.append(e)
                windows.contextOffsets.append(offsets)
                if labelled {
                    let (s, en) = answerTokens(example, offsets: offsets)
                    starts.append(Int32(s))
                    ends.append(Int32(en))
                }
                if stop == contextCount { break }
                start += room - settings.docStride
            }
        }
        var data = PreparedData(encodings: encodings, targets: labelled ? .spans(starts: starts, ends: ends) : .none,
                                wordStarts: [], padId: t.padTokenId ?? 0)
        data.questions = windows
        return data
    }

    /// The answer's first and last token in a window, or (0, 0) when the window does not hold the
    /// whole answer (or the question has none).
    static func answerTokens(_ example: QuestionExample, offsets: [Range<Int>?]) -> (Int, Int) {
        guard !example.isImpossible, let answer = example.answers.first else { return (0, 0) }
        let context = offsets.indices.filter { offsets[$0] != nil }
        guard let first = context.first, let last = context.last,
              offsets[first]!.lowerBound <= answer.start, offsets[last]!.upperBound >= answer.end else { return (0, 0) }
        // The last token starting at or before the answer, the first ending at or after its end.
        let start = context.last { offsets[$0]!.lowerBound <= answer.start } ?? first
        let end = context.first { offsets[$0]!.upperBound >= answer.end } ?? last
        return (start, max(start, end))
    }
}
