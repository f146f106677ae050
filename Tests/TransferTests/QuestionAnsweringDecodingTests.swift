import BertKit
import Foundation
import TestSupport
import XCTest

/// Reading answers from start/end logits (transformers' postprocess_qa_predictions) and SQuAD's
/// official exact match and F1, on hand-worked cases.
final class QuestionAnsweringDecodingTests: XCTestCase {
    // "the film was good": [CLS] what [SEP] the film was good [SEP]
    let context = "the film was good"
    let offsets: [Range<Int>?] = [nil, nil, nil, 0..<3, 4..<8, 9..<12, 13..<17, nil]

    func window(_ start: [Float], _ end: [Float]) -> AnswerDecoder.Window {
        AnswerDecoder.Window(startLogits: start, endLogits: end, offsets: offsets)
    }

    func testBestSpanInsideTheContext() {
        // The question token (1) has the highest logits but is not context; the best context span is
        // start 3 + end 4 = 2 + 3 = 5 ("the film"); next: 3+6 = 4, then 4+4 = 4 … (n-best 20).
        let w = window([0, 9, 0, 2, 1, 0, 0, 0], [0, 9, 0, 0, 3, 0, 2, 0])
        let answer = AnswerDecoder.answer(context: context, windows: [w], settings: AnswerSettings())
        XCTAssertEqual(answer.text, "the film")
        XCTAssertEqual([answer.start, answer.end], [0, 8])
        // The softmax over the kept spans: pairs (s ≤ e, both in the context) of starts 3…6 and ends 3…6.
        var scores: [Double] = []
        for s in 3...6 { for e in s...6 { scores.append(Double([0, 9, 0, 2, 1, 0, 0, 0][s] + [0, 9, 0, 0, 3, 0, 2, 0][e])) } }
        let expected = Foundation.exp(5 - 5) / scores.map { Foundation.exp($0 - 5) }.reduce(0, +)
        XCTAssertEqual(Double(answer.score), expected, accuracy: 1e-6)
    }

    func testMaxAnswerLengthAndEndBeforeStart() {
        // The best pair ends before it starts (start 6, end 3): skipped. With max length 1, only one-token spans.
        let w = window([0, 0, 0, 1, 0, 0, 5, 0], [0, 0, 0, 4, 0, 0, 0.5, 0])
        XCTAssertEqual(AnswerDecoder.answer(context: context, windows: [w], settings: AnswerSettings()).text, "good")
        let shortest = AnswerDecoder.answer(context: context, windows: [window([0, 0, 0, 3, 0, 0, 0, 0], [0, 0, 0, 0, 0, 0, 4, 0])],
                                            settings: AnswerSettings(maxAnswerLength: 1))
        XCTAssertEqual(shortest.text, "good", "3 + 0 for “the” loses to 0 + 4 for “good”")
        // With n-best 1: only the top start (3) and the top end (6) are tried.
        let top = AnswerDecoder.answer(context: context, windows: [window([0, 0, 0, 3, 2, 0, 0, 0], [0, 0, 0, 0, 2, 0, 4, 0])],
                                       settings: AnswerSettings(nBest: 1))
        XCTAssertEqual(top.text, "the film was good")
    }

    func testBestOverSeveralWindows() {
        let first = window([0, 0, 0, 1, 0, 0, 0, 0], [0, 0, 0, 1, 0, 0, 0, 0])
        let second = AnswerDecoder.Window(startLogits: [0, 0, 3, 0], endLogits: [0, 0, 3, 0], offsets: [nil, nil, 13..<17, nil])
        let answer = AnswerDecoder.answer(context: context, windows: [first, second], settings: AnswerSettings())
        XCTAssertEqual(answer.text, "good")
        XCTAssertEqual([answer.start, answer.end], [13, 17])
    }

    func testNoAnswerForSQuADV2() {
        let w = window([6, 0, 0, 1, 0, 0, 0, 0], [6, 0, 0, 1, 0, 0, 0, 0])
        XCTAssertEqual(AnswerDecoder.answer(context: context, windows: [w], settings: AnswerSettings(allowsNoAnswer: true)).text, "")
        XCTAssertEqual(AnswerDecoder.answer(context: context, windows: [w], settings: AnswerSettings()).text, "the")
    }

    func testNormalizationAsTheOfficialScript() {
        XCTAssertEqual(QuestionAnsweringMetrics.normalize("The  Denver Broncos!"), "denver broncos")
        XCTAssertEqual(QuestionAnsweringMetrics.normalize("an apple, a day"), "apple day")
        XCTAssertEqual(QuestionAnsweringMetrics.normalize("Anthem of thea"), "anthem of thea")
        XCTAssertEqual(QuestionAnsweringMetrics.normalize("\"A\" (the) 1,000"), "1000")
    }

    func testExactMatchAndF1WithSeveralGoldAnswers() {
        XCTAssertEqual(QuestionAnsweringMetrics.f1("the good film was", "good film"), 0.8, accuracy: 1e-12)   // p 2/3, r 1
        XCTAssertEqual(QuestionAnsweringMetrics.f1("was was", "was"), 2 * 0.5 * 1 / 1.5, accuracy: 1e-12)    // multiset: 1 in common
        XCTAssertEqual(QuestionAnsweringMetrics.f1("nothing", "else"), 0)
        let metrics = QuestionAnsweringMetrics(
            predicted: ["Denver Broncos", "film was good", "Carolina"],
            gold: [["Denver Broncos", "The Denver Broncos"], ["the food", "film good"], ["Carolina Panthers", "the Panthers"]])
        // EM: 1, 0, 0. F1: 1; max(0, 0.8) = 0.8; max(2·1·½/1.5 = 2/3, 0) = 2/3.
        XCTAssertEqual(metrics.exactMatch, 100.0 / 3, accuracy: 1e-9)
        XCTAssertEqual(metrics.f1, 100 * (1 + 0.8 + 2.0 / 3) / 3, accuracy: 1e-9)
        XCTAssertEqual(metrics.count, 3)
        // SQuAD v2.0: no gold answer, only "" is right.
        let v2 = QuestionAnsweringMetrics(predicted: ["", "x"], gold: [[], []])
        XCTAssertEqual([v2.exactMatch, v2.f1], [50, 50])
        let json = String(decoding: try! JSONEncoder().encode(Metrics.questionAnswering(metrics)), as: UTF8.self)
        assertMentions(json, ["\"exact_match\"", "\"f1\"", "\"task\":\"question_answering\""])
    }
}
