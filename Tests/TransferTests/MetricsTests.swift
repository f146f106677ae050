import Foundation
@testable import Transfer
import XCTest

/// Metrics on small cases computed by hand (the comments show the arithmetic).
final class MetricsTests: XCTestCase {
    let abc = LabelSet(["a", "b", "c"])

    func assertScores(_ s: ClassScores, _ p: Double, _ r: Double, _ f1: Double, support: Int,
                      file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(s.precision, p, accuracy: 1e-12, "\(s.label) precision", file: file, line: line)
        XCTAssertEqual(s.recall, r, accuracy: 1e-12, "\(s.label) recall", file: file, line: line)
        XCTAssertEqual(s.f1, f1, accuracy: 1e-12, "\(s.label) f1", file: file, line: line)
        XCTAssertEqual(s.support, support, "\(s.label) support", file: file, line: line)
    }

    func testClassificationWithAClassNeverPredicted() {
        // gold      a a b b c c
        // predicted a b b b a a
        let m = ClassificationMetrics(predicted: [0, 1, 1, 1, 0, 0], gold: [0, 0, 1, 1, 2, 2], labels: abc)
        XCTAssertEqual(m.count, 6)
        XCTAssertEqual(m.accuracy, 0.5)
        XCTAssertEqual(m.confusion.counts, [[1, 1, 0], [0, 2, 0], [2, 0, 0]])
        assertScores(m.perClass[0], 1.0 / 3, 0.5, 0.4, support: 2)      // a: tp 1 of 3 predicted, 2 gold
        assertScores(m.perClass[1], 2.0 / 3, 1.0, 0.8, support: 2)      // b: tp 2 of 3 predicted
        assertScores(m.perClass[2], 0, 0, 0, support: 2)                // c: never predicted → 0, not NaN
        XCTAssertEqual(m.macro.precision, 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(m.macro.recall, 0.5, accuracy: 1e-12)
        XCTAssertEqual(m.macro.f1, 0.4, accuracy: 1e-12)
        XCTAssertEqual(m.weighted.f1, 0.4, accuracy: 1e-12)
    }

    func testConfusionJSONIsTheWholeMatrixForFewLabelsAndTheCellsThatOccurForMany() throws {
        let few = ConfusionMatrix(gold: [0, 0, 2], predicted: [0, 1, 2], labels: ["a", "b", "c"])
        let fewJSON = try JSONSerialization.jsonObject(with: JSONEncoder().encode(few)) as? [String: Any]
        XCTAssertEqual(fewJSON?["counts"] as? [[Int]], [[1, 1, 0], [0, 0, 0], [0, 0, 1]])
        XCTAssertNil(fewJSON?["cells"])
        XCTAssertEqual(try JSONDecoder().decode(ConfusionMatrix.self, from: JSONEncoder().encode(few)), few)

        // 10,000 labels: three examples store three cells, and the JSON lists only those.
        let labels = (0..<10_000).map { "label\($0)" }
        let many = ConfusionMatrix(gold: [9_999, 5, 5], predicted: [9_999, 7, 7], labels: labels)
        let data = try JSONEncoder().encode(many)
        XCTAssertLessThan(data.count, 200_000)
        let manyJSON = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        XCTAssertNil(manyJSON?["counts"])
        XCTAssertEqual(manyJSON?["cells"] as? [[Int]], [[5, 7, 2], [9_999, 9_999, 1]])
        XCTAssertEqual(try JSONDecoder().decode(ConfusionMatrix.self, from: data), many)
        XCTAssertEqual(many.count(gold: 5, predicted: 7), 2)
        XCTAssertEqual(many.correct, 1)
        XCTAssertEqual(many.total, 3)
        let scores = many.scores()
        XCTAssertEqual(scores[7].predicted, 2)      // 7: predicted twice, never gold
        XCTAssertEqual(scores[7].precision, 0)
        XCTAssertEqual(scores[5].support, 2)        // 5: gold twice, never predicted
        XCTAssertEqual(scores[9_999].f1, 1)

        let corrupt = #"{"labels": ["a", "b"], "cells": [[0, 2, 1]]}"#
        XCTAssertThrowsError(try JSONDecoder().decode(ConfusionMatrix.self, from: Data(corrupt.utf8)))
    }

    func testMacroLeavesOutClassesNeitherGoldNorPredicted() {
        let m = ClassificationMetrics(predicted: ["x", "y", "y"], gold: ["x", "x", "y"], labels: LabelSet(["x", "y", "z"]))
        // x: P 1, R 1/2, F1 2/3; y: P 1/2, R 1, F1 2/3; z absent on both sides: listed, not averaged.
        XCTAssertEqual(m.perClass.map(\.label), ["x", "y", "z"])
        XCTAssertEqual(m.macro.f1, 2.0 / 3, accuracy: 1e-12)
        // x: support 2, y: support 1 → weighted F1 = (2·2/3 + 1·2/3) / 3.
        XCTAssertEqual(m.weighted.f1, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(m.accuracy, 2.0 / 3, accuracy: 1e-12)
    }

    func testClassificationByNameCollectsLabels() {
        let m = ClassificationMetrics(predicted: ["pos", "neg"], gold: ["pos", "pos"])
        XCTAssertEqual(m.confusion.labels, ["neg", "pos"])
        XCTAssertEqual(m.accuracy, 0.5)
        assertScores(m.perClass[0], 0, 0, 0, support: 0)
        assertScores(m.perClass[1], 1, 0.5, 2.0 / 3, support: 2)
    }

    func testEmptyInputsGiveZerosNotNaN() {
        let m = ClassificationMetrics(predicted: [], gold: [], labels: abc)
        XCTAssertEqual(m.accuracy, 0)
        XCTAssertEqual(m.macro, AveragedScores(precision: 0, recall: 0, f1: 0))
        XCTAssertEqual(TaggingMetrics(predicted: [[String]](), gold: [[String]]()).tokenAccuracy, 0)
        XCTAssertNil(RegressionMetrics(predicted: [Double](), gold: []).pearson)
    }

    func testTaggingIgnoresWordsWithoutGold() {
        let m = TaggingMetrics(predicted: [["A", "B", "A"], ["B"]], gold: [["A", "A", nil], ["B"]])
        // Counted: (A,A) right, (B,A) wrong, (B,B) right.
        XCTAssertEqual(m.tokenCount, 3)
        XCTAssertEqual(m.tokenAccuracy, 2.0 / 3, accuracy: 1e-12)
        assertScores(m.perTag[0], 1, 0.5, 2.0 / 3, support: 2)  // A
        assertScores(m.perTag[1], 0.5, 1, 2.0 / 3, support: 1)  // B
        XCTAssertEqual(m.macro.f1, 2.0 / 3, accuracy: 1e-12)
        XCTAssertNil(m.spans, "parts of speech have no spans")
        let byID = TaggingMetrics(predicted: [[0, 1, 0], [1]], gold: [[0, 0, nil], [1]], tags: LabelSet(["A", "B"]))
        XCTAssertEqual(byID, m)
    }

    func testEntitySpans() {
        let gold = [["B-PER", "I-PER", "O", "B-LOC"]]
        let predicted = [["B-PER", "I-PER", "O", "B-ORG"]]
        let m = TaggingMetrics(predicted: predicted, gold: gold)
        let s = try! XCTUnwrap(m.spans)
        XCTAssertEqual([s.goldCount, s.predictedCount, s.correctCount], [2, 2, 1])
        XCTAssertEqual(s.f1, 0.5, accuracy: 1e-12)
        XCTAssertEqual(s.perType.map(\.label), ["LOC", "ORG", "PER"])
        XCTAssertEqual(s.perType.map(\.f1), [0, 0, 1])
        XCTAssertEqual(Metrics.tagging(m).primary.name, "span_f1")
        // A span must match at both ends: a partial entity is wrong though most tokens are right.
        let partial = try! XCTUnwrap(SpanScores(predicted: [["B-PER", "O", "O", "B-LOC"]], gold: gold.map { $0.map { $0 } }))
        XCTAssertEqual(partial.correctCount, 1)
    }

    func testChunkExtraction() {
        let cases: [(tags: [String], chunks: [Chunk])] = [
            (["B-PER", "I-PER", "B-PER", "O"], [Chunk(type: "PER", start: 0, end: 2), Chunk(type: "PER", start: 2, end: 3)]),
            (["I-PER", "I-PER", "O", "I-LOC"], [Chunk(type: "PER", start: 0, end: 2), Chunk(type: "LOC", start: 3, end: 4)]),  // IOB1
            (["B-PER", "I-LOC"], [Chunk(type: "PER", start: 0, end: 1), Chunk(type: "LOC", start: 1, end: 2)]),
            (["B-LOC", "E-LOC", "S-ORG", "S-ORG"], [Chunk(type: "LOC", start: 0, end: 2), Chunk(type: "ORG", start: 2, end: 3),
                                                    Chunk(type: "ORG", start: 3, end: 4)]),
            (["O", "O"], []),
            (["B-MISC"], [Chunk(type: "MISC", start: 0, end: 1)]),
        ]
        for c in cases { XCTAssertEqual(Chunk.extract(c.tags), c.chunks, "\(c.tags)") }
    }

    func testRegression() {
        let m = RegressionMetrics(predicted: [1, 2, 3] as [Double], gold: [1, 2, 4])
        XCTAssertEqual(m.mse, 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(m.mae, 1.0 / 3, accuracy: 1e-12)
        // Deviations (-1, 0, 1) and (-4/3, -1/3, 5/3): r = 3 / √(2 · 14/3).
        XCTAssertEqual(m.pearson!, 3 / (2 * 14.0 / 3).squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(m.spearman!, 1, accuracy: 1e-12)
        XCTAssertNil(RegressionMetrics(predicted: [2, 2, 2] as [Float], gold: [1, 2, 3]).pearson, "constant predictions")
        XCTAssertEqual(RegressionMetrics.ranks([10, 20, 20, 30, 5]), [2, 3.5, 3.5, 5, 1])
        XCTAssertEqual(RegressionMetrics(predicted: [3, 2, 1] as [Double], gold: [1, 2, 3]).pearson!, -1, accuracy: 1e-12)
    }

    func testMultiLabel() {
        let xyz = LabelSet(["x", "y", "z"])
        let m = MultiLabelMetrics(predicted: [["x", "y"], ["x"], []], gold: [["x", "y"], ["z"], []], labels: xyz)
        XCTAssertEqual(m.exactMatch, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(m.hammingLoss, 2.0 / 9, accuracy: 1e-12)          // 2 wrong decisions of 3 × 3
        XCTAssertEqual(m.micro.precision, 2.0 / 3, accuracy: 1e-12)      // tp 2, fp 1
        XCTAssertEqual(m.micro.recall, 2.0 / 3, accuracy: 1e-12)         // tp 2, fn 1
        XCTAssertEqual(m.micro.f1, 2.0 / 3, accuracy: 1e-12)
        assertScores(m.perLabel[0], 0.5, 1, 2.0 / 3, support: 1)
        assertScores(m.perLabel[2], 0, 0, 0, support: 1)
        XCTAssertEqual(m.macro.f1, (2.0 / 3 + 1 + 0) / 3, accuracy: 1e-12)
    }

    func testMetricsJSONRoundTripAndMarkdown() throws {
        let all: [Metrics] = [
            .classification(ClassificationMetrics(predicted: [0, 1, 1, 1, 0, 0], gold: [0, 0, 1, 1, 2, 2], labels: abc)),
            .multiLabel(MultiLabelMetrics(predicted: [[0]], gold: [[0, 1]], labels: abc)),
            .regression(RegressionMetrics(predicted: [1, 2] as [Double], gold: [1, 1])),
            .tagging(TaggingMetrics(predicted: [["B-PER", "O"]], gold: [["B-PER", "B-LOC"]])),
        ]
        for metrics in all {
            let data = try JSONEncoder().encode(metrics)  // the default encoder rejects NaN: none may appear
            let object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
            XCTAssertEqual(object["task"] as? String, metrics.task)
            XCTAssertEqual(try JSONDecoder().decode(Metrics.self, from: data), metrics, metrics.task)
            let markdown = metrics.markdown()
            XCTAssertTrue(markdown.hasPrefix("| metric | value |\n| --- | ---: |\n| \(metrics.primary.name) | "), markdown)
        }
        let markdown = all[0].markdown()
        XCTAssertTrue(markdown.contains("| accuracy | 0.5000 |"), markdown)
        XCTAssertTrue(markdown.contains("| c | 0.0000 | 0.0000 | 0.0000 | 2 |"), markdown)
        XCTAssertTrue(markdown.contains("| gold \\\\ predicted | a | b | c |"), markdown)
        XCTAssertTrue(markdown.contains("| c | 2 | 0 | 0 |"), markdown)
        XCTAssertEqual(all[2].summary.map(\.name), ["mse", "mae"], "Pearson is undefined for constant gold values")
        XCTAssertFalse(all[2].primary.higherIsBetter)
        XCTAssertThrowsError(try JSONDecoder().decode(Metrics.self, from: Data(#"{"task": "ranking"}"#.utf8)))
    }

    func testMarkdownEscapesCells() {
        let m = Metrics.classification(ClassificationMetrics(predicted: ["a|b", "<unk>"], gold: ["a|b", "<unk>"]))
        XCTAssertTrue(m.markdown().contains("| a\\|b | 1.0000 |"), m.markdown())
        XCTAssertTrue(m.markdown().contains("| \\<unk> | 1.0000 |"), m.markdown())
    }
}
