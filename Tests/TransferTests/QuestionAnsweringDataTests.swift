import BertKit
import Foundation
import TestSupport
@testable import Transfer
import XCTest

/// Reading SQuAD and JSON Lines questions, and cutting them into windows as transformers' run_qa does.
final class QuestionAnsweringDataTests: XCTestCase {
    static let fixture = TestPaths.packageRoot.appending(path: "Tests/TransferTests/Fixtures/qa/tiny-squad.json")

    func testReadsSQuADJSONWithSeveralAnswersAndV2Unanswerable() throws {
        let data = try QuestionDataset.read(Self.fixture)
        XCTAssertEqual(data.examples.map(\.id), ["q-good", "q-bad", "q-poor", "q-none"])
        XCTAssertEqual(data.examples[0].answers, [.init(text: "the film", start: 0), .init(text: "film", start: 4)])
        XCTAssertEqual(data.examples[2].context.count, 101)
        XCTAssertTrue(data.examples[3].isImpossible)
        XCTAssertTrue(data.hasUnanswerable)
    }

    func testReadsJSONLinesInBothAnswerShapes() throws {
        let folder = try TemporaryFolder()
        let url = try folder.write("qa.jsonl", """
            {"id": "a", "question": "who", "context": "Ann met Bob", "answers": {"text": ["Ann"], "answer_start": [0]}}

            {"question": "whom", "context": "Ann met Bob", "answers": [{"text": "Bob", "answer_start": 8}]}
            {"question": "why", "context": "Ann met Bob", "answers": {"text": [], "answer_start": []}}
            """)
        let data = try QuestionDataset.read(url)
        XCTAssertEqual(data.examples.map(\.id), ["a", "3", "4"])
        XCTAssertEqual(data.examples[1].answers, [.init(text: "Bob", start: 8)])
        XCTAssertTrue(data.examples[2].isImpossible, "empty answers: SQuAD v2.0's unanswerable question")
    }

    func testBadAnswersNameTheQuestionAndCanBeSkipped() throws {
        let folder = try TemporaryFolder()
        func squad(_ qas: String, context: String = "Ann met Bob") -> String {
            #"{"data": [{"paragraphs": [{"context": "\#(context)", "qas": [\#(qas)]}]}]}"#
        }
        let outside = try folder.write("outside.json", squad(#"{"id": "q7", "question": "who", "answers": [{"text": "Bob", "answer_start": 40}]}"#))
        assertMentions("\(expectError { try QuestionDataset.read(outside) }!)", ["outside.json", "question q7", "answer_start 40", "outside the context (11 characters)"])
        let moved = try folder.write("moved.json", squad(#"{"id": "q8", "question": "who", "answers": [{"text": "Bob", "answer_start": 4}]}"#))
        assertMentions("\(expectError { try QuestionDataset.read(moved) }!)", ["moved.json", "question q8", "\"Bob\" is not at answer_start 4", "reads \"met\""])
        let empty = try folder.write("empty.json", squad(#"{"id": "q9", "question": "who", "answers": [{"text": "x", "answer_start": 0}]}"#, context: "  "))
        assertMentions("\(expectError { try QuestionDataset.read(empty) }!)", ["empty.json", "question q9", "the context is empty"])
        let lines = try folder.write("bad.jsonl", """
            {"question": "who", "context": "Ann met Bob", "answers": [{"text": "Ann", "answer_start": 0}]}
            {"question": "who", "context": "Ann met Bob", "answers": [{"text": "Ann", "answer_start": 1}]}
            """)
        assertMentions("\(expectError { try QuestionDataset.read(lines) }!)", ["bad.jsonl:2:", "not at answer_start 1"])

        // Skipping leaves out (and names) only the bad answers; an empty context still fails.
        let mixed = try folder.write("mixed.json", squad(#"""
            {"id": "ok", "question": "who", "answers": [{"text": "Ann", "answer_start": 0}]},
            {"id": "bad", "question": "who", "answers": [{"text": "Ann", "answer_start": 5}]}
            """#))
        let skipped = try QuestionDataset.read(mixed, skipBadAnswers: true)
        XCTAssertEqual(skipped.examples.map(\.id), ["ok"])
        XCTAssertEqual(skipped.skipped.count, 1)
        assertMentions(skipped.skipped[0].description, [#"mixed.json: question bad: answer "Ann" is not at answer_start 5 (the context there reads "et ")"#])
        XCTAssertNotNil(expectError { try QuestionDataset.read(mixed) })
        XCTAssertNotNil(expectError { try QuestionDataset.read(empty, skipBadAnswers: true) })
    }

    func testWindowsAsRunQA() throws {
        let tokenizer = try Tokenizer.load(directory: TinyTask.folder())
        let data = try QuestionDataset.read(Self.fixture)
        let poor = [data.examples[2]]
        // [CLS] what was poor [SEP] + 10 context tokens + [SEP]; windows move by 10 − 4 tokens.
        let prepared = try PreparedData.questions(poor, source: "tiny", tokenizer: tokenizer,
                                                  settings: WindowSettings(maxLength: 16, docStride: 4), labelled: true)
        XCTAssertEqual(prepared.count, 3)
        XCTAssertEqual(prepared.encodings.map(\.count), [16, 16, 15])
        for encoding in prepared.encodings {
            XCTAssertEqual(Array(encoding.tokens.prefix(5)), ["[CLS]", "[UNK]", "was", "poor", "[SEP]"], "the question is never cut")
            XCTAssertEqual(encoding.tokens.last, "[SEP]")
        }
        let windows = prepared.questions!
        XCTAssertEqual(windows.example, [0, 0, 0])
        // Each window's first context token: words 0, 6 and 12 (4 tokens shared with the one before).
        XCTAssertEqual(windows.contextOffsets.map { $0[5]!.lowerBound }, [0, 29, 56])
        XCTAssertNil(windows.contextOffsets[0][4])
        // The first answer ("the food", words 11–12) is whole only in the second window; the third
        // holds "food" but not "the": it points at [CLS], as a window without the answer does.
        guard case .spans(let starts, let ends) = prepared.targets else { return XCTFail("no spans") }
        XCTAssertEqual(starts, [0, 10, 0])
        XCTAssertEqual(ends, [0, 11, 0])
        XCTAssertEqual(prepared.encodings[1].tokens[10...11], ["the", "food"])

        // One window when it fits; an unanswerable question points at [CLS].
        let all = try PreparedData.questions(data.examples, source: "tiny", tokenizer: tokenizer,
                                             settings: WindowSettings(maxLength: 64, docStride: 16), labelled: true)
        XCTAssertEqual(all.questions!.example, [0, 1, 2, 3])
        guard case .spans(let s, let e) = all.targets else { return XCTFail("no spans") }
        XCTAssertEqual(all.encodings[1].tokens[Int(s[1])...Int(e[1])], ["the", "food"], "leading white space of the question is dropped")
        XCTAssertEqual([s[3], e[3]], [0, 0])
    }

    func testWindowSettingErrors() throws {
        let tokenizer = try Tokenizer.load(directory: TinyTask.folder())
        let data = try QuestionDataset.read(Self.fixture)
        let tooShort = expectError { try PreparedData.questions(data.examples, source: "tiny.json", tokenizer: tokenizer,
                                                                 settings: WindowSettings(maxLength: 6, docStride: 2), labelled: true) }
        assertMentions("\(tooShort!)", ["tiny.json", "question q-good", "no room for the context", "--max-length 6"])
        let stride = expectError { try PreparedData.questions(data.examples, source: "tiny.json", tokenizer: tokenizer,
                                                               settings: WindowSettings(maxLength: 16, docStride: 16), labelled: true) }
        assertMentions("\(stride!)", ["--doc-stride 16", "less than --max-length 16"])
        let noProgress = expectError { try PreparedData.questions(data.examples, source: "tiny.json", tokenizer: tokenizer,
                                                                   settings: WindowSettings(maxLength: 16, docStride: 12), labelled: true) }
        assertMentions("\(noProgress!)", ["question q-good", "--doc-stride 12"])
    }

    /// Offsets of the context survive the pair encoding for every tokenizer model, so that windows
    /// give back the context's own characters.
    func testContextOffsetsForWordPieceUnigramAndByteLevelBPE() throws {
        let fixtures = TestPaths.packageRoot.appending(path: "Tests/TokenizersTests/Fixtures")
        let tokenizers = [try Tokenizer.load(directory: TinyTask.folder()),
                          try Tokenizer(contentsOf: fixtures.appending(path: "albert/tokenizer.json")),
                          try Tokenizer(contentsOf: fixtures.appending(path: "roberta/tokenizer.json"))]
        let example = QuestionExample(id: "x", question: "Where is the café?", context: "The café — naïve “quotes” — is in Zürich, near the lake.",
                                      answers: [.init(text: "Zürich", start: 34)])
        for tokenizer in tokenizers {
            let data = try PreparedData.questions([example], source: "x", tokenizer: tokenizer,
                                                  settings: WindowSettings(maxLength: 64, docStride: 8), labelled: true)
            guard case .spans(let s, let e) = data.targets else { return XCTFail("no spans") }
            let offsets = data.questions!.contextOffsets[0]
            let context = Array(example.context.unicodeScalars)
            let text = String(String.UnicodeScalarView(context[offsets[Int(s[0])]!.lowerBound..<offsets[Int(e[0])]!.upperBound]))
            XCTAssertEqual(text.trimmingCharacters(in: .whitespaces), "Zürich", "\(data.encodings[0].tokens)")
            XCTAssertEqual(data.encodings[0].sequenceIds.compactMap { $0 }.first, 0)
        }
    }
}
