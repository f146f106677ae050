import BertKit
import Foundation
import Hummingbird

/// `POST /answer`: extractive question answering with a folder trained by `bertkit train --task qa`
/// (or a transformers `…ForQuestionAnswering` folder). The body is Hugging Face's inference API
/// shape, `{"inputs": {"question": …, "context": …}}` or a list of such pairs; the answer is
/// `{"answer", "score", "start", "end"}` (character offsets into the context), a list for a list.
struct AnswerRequest: Decodable {
    struct Pair: Decodable {
        var question: String
        var context: String
    }
    var inputs: [Pair]
    var isBatch: Bool

    enum CodingKeys: String, CodingKey { case inputs }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        guard container.contains(.inputs) else { throw InvalidBody("'inputs' is required: {\"question\": …, \"context\": …} or a list of them") }
        let mustBe = InvalidBody("'inputs' must be {\"question\": \"…\", \"context\": \"…\"} or a list of them")
        if let pair = try? container.decode(Pair.self, forKey: .inputs) {
            (inputs, isBatch) = ([pair], false)
        } else if let pairs = try? container.decode([Pair].self, forKey: .inputs) {
            guard !pairs.isEmpty else { throw InvalidBody("'inputs' is empty") }
            (inputs, isBatch) = (pairs, true)
        } else {
            throw mustBe
        }
        for (i, pair) in inputs.enumerated() {
            let at = isBatch ? "'inputs[\(i)]'" : "'inputs'"
            if pair.question.allSatisfy(\.isWhitespace) { throw InvalidBody("\(at): the question is empty") }
            if pair.context.allSatisfy(\.isWhitespace) { throw InvalidBody("\(at): the context is empty") }
        }
    }
}

extension EmbeddingServer {
    func answer(_ request: Request) async throws -> Response {
        guard let tokenizer = model.classifierTokenizer, let maxLength = model.classifierMaxLength, let docStride = model.docStride else {
            throw ServeError.invalid("this server's model has no question-answering head; serve a folder written by `bertkit train --task qa`", .tei)
        }
        let body = try await decode(AnswerRequest.self, request, style: .tei)
        guard body.inputs.count <= self.settings.maxInputsPerRequest else {
            throw ServeError.invalid("at most \(self.settings.maxInputsPerRequest) inputs per request, got \(body.inputs.count)", .tei)
        }
        let examples = body.inputs.enumerated().map { QuestionExample(id: "\($0.offset)", question: $0.element.question, context: $0.element.context) }
        let data: PreparedData
        do {
            data = try PreparedData.questions(examples, source: "inputs", tokenizer: tokenizer,
                                              settings: WindowSettings(maxLength: maxLength, docStride: docStride), labelled: false)
        } catch let error as QuestionDataError {
            var at = "'inputs'"
            if body.isBatch, case .question(let id) = error.place { at = "'inputs[\(id)]'" }
            throw ServeError.invalid("\(at): \(error.message)", .tei)
        }
        let outputs = try await submit(data.encodings, kind: .answer, style: .tei)
        let windows = data.questions!
        let answers = zip(windows.examples, windows.windowsOfExample).map { example, indices -> String in
            let parts = indices.compactMap { w -> AnswerDecoder.Window? in
                guard case .prediction(let p) = outputs[w] else { return nil }
                return AnswerDecoder.Window(startLogits: p.logits.map { $0?[0] ?? -.infinity }, endLogits: p.logits.map { $0?[1] ?? -.infinity },
                                            offsets: windows.contextOffsets[w])
            }
            let a = AnswerDecoder.answer(context: example.context, windows: parts, settings: AnswerSettings())
            return "{\"answer\":\(JSONWriter.string(a.text)),\"score\":\(JSONWriter.number(a.score)),\"start\":\(a.start),\"end\":\(a.end)}"
        }
        return Self.json(body.isBatch ? "[" + answers.joined(separator: ",") + "]" : answers[0])
    }
}
