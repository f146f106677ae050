import Tokenizers

extension Evaluator {
    /// The answer to each question of `data` (windows made by ``PreparedData/questions(_:source:tokenizer:settings:labelled:)``),
    /// read from all its windows' start and end logits with ``answerSettings``.
    public func answers(_ data: PreparedData) throws -> [PredictedAnswer] {
        guard let questions = data.questions else {
            throw TransferError.invalidSetting("answers need question-answering windows (PreparedData.questions)")
        }
        return answers(questions, outputs: try outputs(data))
    }

    /// Answers from per-window, per-token outputs (start and end logits).
    func answers(_ questions: QuestionWindows, outputs: [[[Float]?]]) -> [PredictedAnswer] {
        var settings = answerSettings
        if questions.examples.contains(where: \.isImpossible) { settings.allowsNoAnswer = true }
        return zip(questions.examples, questions.windowsOfExample).map { example, windows in
            AnswerDecoder.answer(context: example.context, windows: windows.map { w in
                let rows = outputs[w]
                return AnswerDecoder.Window(startLogits: rows.map { $0?[0] ?? -.infinity }, endLogits: rows.map { $0?[1] ?? -.infinity },
                                            offsets: questions.contextOffsets[w])
            }, settings: settings)
        }
    }

    /// Answers questions about contexts: windows of `settings`, then ``answers(_:)``.
    public func answer(_ examples: [QuestionExample], tokenizer: Tokenizer, settings: WindowSettings, source: String = "<input>") throws -> [PredictedAnswer] {
        try answers(PreparedData.questions(examples, source: source, tokenizer: tokenizer, settings: settings, labelled: false))
    }
}
