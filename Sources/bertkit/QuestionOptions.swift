import ArgumentParser
import BertKit
import Foundation

/// How `eval` and `predict` read answers from a question-answering model's logits.
struct AnswerOptions: ParsableArguments {
    @Option(help: "Question answering: start and end tokens considered per window.") var nBest = 20
    @Option(help: "Question answering: the longest answer, in tokens.") var maxAnswerLength = 30

    func settings() throws -> AnswerSettings {
        let settings = AnswerSettings(nBest: nBest, maxAnswerLength: maxAnswerLength)
        try settings.validate()
        return settings
    }
}

/// Names the questions a training file's bad answers left out (`--skip-bad-examples`).
func noteSkipped(_ data: TaskData) {
    guard case .questions(let questions) = data, !questions.skipped.isEmpty else { return }
    for problem in questions.skipped { note("skipped: \(problem)") }
    note("skipped \(questions.skipped.count) question(s) with a bad answer (--skip-bad-examples); \(questions.count) remain")
}

/// `predict` for a question-answering model: JSON Lines `{"question": …, "context": …}` in,
/// `{"answer": …, "score": …, "start": …, "end": …}` out (character offsets into the context).
func predictAnswers(_ transfer: TransferModel, tokenizer: Tokenizer, maxLength: Int, answers: AnswerSettings,
                    reader: inout LineReader) throws {
    var evaluator = Evaluator(model: transfer)
    evaluator.answerSettings = answers
    let settings = WindowSettings(maxLength: maxLength, docStride: transfer.head.docStride ?? 128)
    let out = StandardOutput.shared
    while let lines = try reader.nextWindow(maxLines: 128) {
        let first = reader.lineNumber - lines.count + 1
        var examples: [QuestionExample] = []
        for (k, line) in lines.enumerated() {
            let number = first + k
            func fail(_ message: String) -> QuestionDataError { QuestionDataError(file: reader.name, place: .line(number), message: message) }
            let value: JSONValue
            do { value = try JSONValue.parse(Array(line.utf8)) }
            catch { throw fail("invalid JSON (\(error)); expected {\"question\": …, \"context\": …}") }
            guard let fields = value.objectValue, case .string(let question)? = fields["question"], case .string(let context)? = fields["context"] else {
                throw fail("expected {\"question\": …, \"context\": …} (two strings), found \(value.excerpt)")
            }
            let example = QuestionExample(id: "line \(number)", question: question, context: context)
            if context.allSatisfy(\.isWhitespace) { throw fail("the context is empty") }
            if question.allSatisfy(\.isWhitespace) { throw fail("the question is empty") }
            examples.append(example)
        }
        let data: PreparedData
        do {
            data = try PreparedData.questions(examples, source: reader.name, tokenizer: tokenizer, settings: settings, labelled: false)
        } catch var error as QuestionDataError {
            if case .question(let id) = error.place, id.hasPrefix("line "), let n = Int(id.dropFirst(5)) { error.place = .line(n) }
            throw error
        }
        for answer in try evaluator.answers(data) {
            let line = "{\"answer\":\(JSONWriter.string(answer.text)),\"score\":\(JSONWriter.number(answer.score)),"
                + "\"start\":\(answer.start),\"end\":\(answer.end)}\n"
            try out.append(line)
        }
        try out.flush()
    }
}
