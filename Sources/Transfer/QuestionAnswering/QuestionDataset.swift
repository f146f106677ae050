import Checkpoints
import Foundation

/// Questions read from SQuAD's JSON (v1.1, and v2.0's `is_impossible`) or from JSON Lines with
/// `question`, `context` and `answers` (`{"text": [...], "answer_start": [...]}`, as Hugging Face
/// `datasets` writes SQuAD, or a list of `{"text", "answer_start"}`), and optionally `id`.
///
/// Every gold answer must be in its context at its `answer_start`; a bad one is an error naming the
/// file and the question (its id, or its line), unless the caller asks to skip such questions.
public struct QuestionDataset: Sendable {
    /// The file's name as given, for messages.
    public var source: String
    public var examples: [QuestionExample]
    /// The questions left out because of a bad answer (``read(_:skipBadAnswers:requiresAnswers:)``
    /// with `skipBadAnswers`), each with its reason.
    public var skipped: [QuestionDataError] = []

    public init(source: String, examples: [QuestionExample]) {
        self.source = source
        self.examples = examples
    }

    public var count: Int { examples.count }

    /// Whether some question has no answer in its context (SQuAD v2.0).
    public var hasUnanswerable: Bool { examples.contains(where: \.isImpossible) }

    /// Reads `url`: SQuAD JSON when the file is one JSON object with a `data` array, else JSON Lines.
    ///
    /// - Parameters:
    ///   - skipBadAnswers: leave out (and list in ``skipped``) questions whose answer is outside the
    ///     context or not at its `answer_start`, instead of failing.
    ///   - requiresAnswers: whether a question needs answers (or `is_impossible`); false for input to predict.
    public static func read(_ url: URL, skipBadAnswers: Bool = false, requiresAnswers: Bool = true) throws -> QuestionDataset {
        let file = try TextFile.read(url)
        if file.isEmpty { throw DataError.emptyFile(file: file.name) }
        var dataset: QuestionDataset
        if let document = try? JSONValue.parse(file.bytes), case .object(let root) = document, root["data"] != nil {
            dataset = try readSQuAD(root, file: file.name, skipBadAnswers: skipBadAnswers, requiresAnswers: requiresAnswers)
        } else {
            dataset = try readLines(file, skipBadAnswers: skipBadAnswers, requiresAnswers: requiresAnswers)
        }
        if dataset.examples.isEmpty { throw DataError.noExamples(file: file.name) }
        return dataset
    }

    /// SQuAD's `data[].paragraphs[].qas[]`.
    static func readSQuAD(_ root: [String: JSONValue], file: String, skipBadAnswers: Bool, requiresAnswers: Bool) throws -> QuestionDataset {
        func fail(_ place: QuestionDataError.Place, _ message: String) -> QuestionDataError {
            QuestionDataError(file: file, place: place, message: message)
        }
        guard case .array(let articles)? = root["data"] else { throw fail(.file, "\"data\" must be an array of articles") }
        var dataset = QuestionDataset(source: file, examples: [])
        for (a, article) in articles.enumerated() {
            guard case .array(let paragraphs)? = article.objectValue?["paragraphs"] else {
                throw fail(.file, "data[\(a)] has no \"paragraphs\" array")
            }
            for (p, paragraph) in paragraphs.enumerated() {
                let where_ = "data[\(a)].paragraphs[\(p)]"
                guard let fields = paragraph.objectValue, case .string(let context)? = fields["context"] else {
                    throw fail(.file, "\(where_) has no \"context\" string")
                }
                guard case .array(let qas)? = fields["qas"] else { throw fail(.file, "\(where_) has no \"qas\" array") }
                for (q, qa) in qas.enumerated() {
                    guard let entry = qa.objectValue else { throw fail(.file, "\(where_).qas[\(q)] is not an object") }
                    let id = entry["id"].flatMap { $0.stringValue ?? $0.intValue.map(String.init) } ?? "\(where_).qas[\(q)]"
                    let place = QuestionDataError.Place.question(id)
                    guard case .string(let question)? = entry["question"] else { throw fail(place, "no \"question\" string") }
                    let impossible = entry["is_impossible"]?.boolValue ?? false
                    let answers = try parseAnswers(entry["answers"], place: place, file: file)
                    let example = QuestionExample(id: id, question: question, context: context,
                                                  answers: impossible ? [] : answers, isImpossible: impossible)
                    if requiresAnswers && !impossible && answers.isEmpty {
                        throw fail(place, "no answers (an unanswerable SQuAD v2.0 question has \"is_impossible\": true)")
                    }
                    if let problem = try check(example, place: place, file: file) {
                        guard skipBadAnswers else { throw problem }
                        dataset.skipped.append(problem)
                        continue
                    }
                    dataset.examples.append(example)
                }
            }
        }
        return dataset
    }

    /// One JSON object a line; blank lines are skipped.
    static func readLines(_ file: TextFile, skipBadAnswers: Bool, requiresAnswers: Bool) throws -> QuestionDataset {
        var dataset = QuestionDataset(source: file.name, examples: [])
        try file.forEachLine { (line: Int, range: Range<Int>) throws in
            guard !file.isBlank(range) else { return }
            let place = QuestionDataError.Place.line(line)
            func fail(_ message: String) -> QuestionDataError { QuestionDataError(file: file.name, place: place, message: message) }
            let value: JSONValue
            do { value = try JSONValue.parse(Array(file.bytes[range])) }
            catch { throw fail("invalid JSON (\(error)); expected one object a line, or a SQuAD file with a \"data\" array") }
            guard let fields = value.objectValue else { throw fail("expected a JSON object, found \(value.excerpt)") }
            guard case .string(let question)? = fields["question"] else { throw fail("no \"question\" string") }
            guard case .string(let context)? = fields["context"] else { throw fail("no \"context\" string") }
            let id = fields["id"].flatMap { $0.stringValue ?? $0.intValue.map(String.init) } ?? String(line)
            let answers = try parseAnswers(fields["answers"], place: place, file: file.name)
            let impossible = fields["is_impossible"]?.boolValue ?? (fields["answers"] != nil && answers.isEmpty)
            if requiresAnswers && fields["answers"] == nil { throw fail("no \"answers\" (text and answer_start)") }
            let example = QuestionExample(id: id, question: question, context: context, answers: answers, isImpossible: impossible)
            if let problem = try check(example, place: place, file: file.name) {
                guard skipBadAnswers else { throw problem }
                dataset.skipped.append(problem)
                return
            }
            dataset.examples.append(example)
        }
        return dataset
    }

    /// `[{"text", "answer_start"}]` or `{"text": [...], "answer_start": [...]}`; absent or null: none.
    static func parseAnswers(_ value: JSONValue?, place: QuestionDataError.Place, file: String) throws(QuestionDataError) -> [QuestionExample.Answer] {
        func fail(_ message: String) -> QuestionDataError { QuestionDataError(file: file, place: place, message: message) }
        func answer(_ text: JSONValue?, _ start: JSONValue?) throws(QuestionDataError) -> QuestionExample.Answer {
            guard case .string(let t)? = text else { throw fail("an answer's \"text\" must be a string, found \(text?.excerpt ?? "nothing")") }
            guard let s = start?.intValue else { throw fail("an answer's \"answer_start\" must be an integer, found \(start?.excerpt ?? "nothing")") }
            return QuestionExample.Answer(text: t, start: s)
        }
        switch value {
        case nil, .null?: return []
        case .array(let items)?:
            var answers: [QuestionExample.Answer] = []
            for item in items {
                guard let fields = item.objectValue else { throw fail("each answer must be an object with \"text\" and \"answer_start\"") }
                answers.append(try answer(fields["text"], fields["answer_start"]))
            }
            return answers
        case .object(let fields)?:
            guard case .array(let texts)? = fields["text"], case .array(let starts)? = fields["answer_start"], texts.count == starts.count else {
                throw fail("\"answers\" must hold lists \"text\" and \"answer_start\" of the same length")
            }
            var answers: [QuestionExample.Answer] = []
            for (t, s) in zip(texts, starts) { answers.append(try answer(t, s)) }
            return answers
        case let other?:
            throw fail("\"answers\" must be a list of answers or {\"text\": [...], \"answer_start\": [...]}, found \(other.excerpt)")
        }
    }

    /// The example's problem, if any: an empty context is always an error (thrown); a bad answer is
    /// returned, for the caller to throw or skip.
    static func check(_ example: QuestionExample, place: QuestionDataError.Place, file: String) throws(QuestionDataError) -> QuestionDataError? {
        if example.context.allSatisfy(\.isWhitespace) { throw QuestionDataError(file: file, place: place, message: "the context is empty") }
        if example.question.allSatisfy(\.isWhitespace) { throw QuestionDataError(file: file, place: place, message: "the question is empty") }
        let context = Array(example.context.unicodeScalars)
        for answer in example.answers {
            let length = answer.text.unicodeScalars.count
            guard answer.start >= 0, answer.start + length <= context.count else {
                return QuestionDataError(file: file, place: place, message: "answer_start \(answer.start) of answer \(JSONWriter.string(answer.text)) "
                    + "is outside the context (\(context.count) characters)")
            }
            let there = String(String.UnicodeScalarView(context[answer.start..<(answer.start + length)]))
            guard there == answer.text, length > 0 else {
                return QuestionDataError(file: file, place: place, message: "answer \(JSONWriter.string(answer.text)) is not at answer_start \(answer.start) "
                    + "(the context there reads \(JSONWriter.string(there)))")
            }
        }
        return nil
    }
}
