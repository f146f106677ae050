import Foundation

/// One extractive question-answering example: a question, the context that holds its answer, and
/// the gold answers (SQuAD's `qas[]` entry with its paragraph's `context`).
///
/// Character offsets count Unicode scalars, as Python's `str` indices (and SQuAD's
/// `answer_start`) do.
public struct QuestionExample: Sendable, Equatable {
    /// A gold answer: its text and where it starts in the context.
    public struct Answer: Sendable, Equatable {
        public var text: String
        /// The offset of the answer's first character in the context (Unicode scalars).
        public var start: Int

        public init(text: String, start: Int) {
            self.text = text
            self.start = start
        }

        /// The offset just past the answer's last character.
        public var end: Int { start + text.unicodeScalars.count }
    }

    /// SQuAD's `id` (for JSON Lines without one: the line number).
    public var id: String
    public var question: String
    public var context: String
    /// Gold answers; the first one is what training points at. Empty for an unanswerable question
    /// (SQuAD v2.0's `is_impossible`) and for unlabelled input.
    public var answers: [Answer]
    /// SQuAD v2.0: the context does not hold the answer; training points at the first token.
    public var isImpossible: Bool

    public init(id: String, question: String, context: String, answers: [Answer] = [], isImpossible: Bool = false) {
        self.id = id
        self.question = question
        self.context = context
        self.answers = answers
        self.isImpossible = isImpossible
    }
}

/// A problem with one question of a question-answering file: names the file and the question's id
/// (SQuAD JSON) or line (JSON Lines).
///
/// ```
/// train.json: question 56be4db0acb8001400a502ec: answer "Denver" is not at answer_start 177 (the context there reads "Carolina")
/// ```
public struct QuestionDataError: Error, Sendable, Equatable, CustomStringConvertible, LocalizedError {
    public var file: String
    /// `question ID` or the 1-based line.
    public var place: Place
    public var message: String

    public enum Place: Sendable, Equatable {
        case question(String)
        case line(Int)
        case file
    }

    public init(file: String, place: Place, message: String) {
        self.file = file
        self.place = place
        self.message = message
    }

    public var description: String {
        switch place {
        case .question(let id): return "\(file): question \(id): \(message)"
        case .line(let line): return "\(file):\(line): \(message)"
        case .file: return "\(file): \(message)"
        }
    }

    public var errorDescription: String? { description }
}
