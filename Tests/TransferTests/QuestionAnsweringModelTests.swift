import BertKit
import Checkpoints
import Foundation
import TestSupport
@testable import Transfer
import XCTest

/// The question-answering head: transformers' qa_outputs, its checkpoints both ways, and training in
/// every transfer mode.
final class QuestionAnsweringModelTests: XCTestCase {
    static let fixtures = TestPaths.packageRoot.appending(path: "Tests/TransferTests/Fixtures/qa")

    struct Case: Decodable {
        var input_ids: [Int32]
        var token_type_ids: [Int32]
        var start_logits: [Float]
        var end_logits: [Float]
        /// The answer span the case is trained on, and transformers' training loss of the case alone.
        var start_position: Int32
        var end_position: Int32
        var loss: Float
    }

    func cases() throws -> [Case] {
        struct File: Decodable { var cases: [Case] }
        return try JSONDecoder().decode(File.self, from: Data(contentsOf: Self.fixtures.appending(path: "expected.json"))).cases
    }

    /// Start and end logits of each case, run as one padded batch.
    func logits(_ model: TransferModel, _ cases: [Case]) throws -> [(start: [Float], end: [Float])] {
        let input = EncoderInput(sequences: cases.map(\.input_ids), typeIds: cases.map(\.token_type_ids), padId: 0)
        let values = try model.logits(input, context: .inference).scalars
        let seq = input.sequenceLength
        return cases.enumerated().map { b, c in
            let n = c.input_ids.count
            return ((0..<n).map { values[(b * seq + $0) * 2] }, (0..<n).map { values[(b * seq + $0) * 2 + 1] })
        }
    }

    func testTransformersCheckpointGivesTheSameLogits() throws {
        let (model, _) = try TransferModel.load(Self.fixtures.appending(path: "bert"))
        XCTAssertEqual(model.head.task, .questionAnswering)
        XCTAssertEqual(model.classifier.weight.name, "qa_outputs.weight")
        XCTAssertEqual(model.head.docStride, 21, "a third of the model's 64 positions: run_qa's 128 would not fit")
        let cases = try cases()
        for (c, got) in zip(cases, try logits(model, cases)) {
            XCTAssertLessThan(maxAbsDifference(got.start, c.start_logits), 1e-5)
            XCTAssertLessThan(maxAbsDifference(got.end, c.end_logits), 1e-5)
        }
    }

    /// A saved folder holds the transformers checkpoint's keys with the same values (so
    /// AutoModelForQuestionAnswering gives the same logits: scripts/check_qa_export.py runs it), and
    /// reloads to the same logits.
    func testSavedFolderIsATransformersQuestionAnsweringFolder() throws {
        let source = Self.fixtures.appending(path: "bert")
        let (model, _) = try TransferModel.load(source)
        let folder = try TemporaryFolder()
        let out = folder.url.appending(path: "saved")
        try model.save(to: out, tokenizerFrom: source, maxLength: 64)
        let config = try JSONConfig(contentsOf: out.appending(path: "config.json"))
        XCTAssertEqual(try config.stringsIfPresent("architectures"), ["BertForQuestionAnswering"])
        let theirs = try Checkpoint.open(source), ours = try Checkpoint.open(out)
        XCTAssertEqual(Set(ours.keys), Set(theirs.keys))
        for key in theirs.keys { XCTAssertEqual(try ours.floats(key), try theirs.floats(key), key) }
        let (reloaded, maxLength) = try TransferModel.load(out)
        XCTAssertEqual(maxLength, 64)
        XCTAssertEqual(reloaded.head, model.head)
        let cases = try cases()
        for (a, b) in zip(try logits(model, cases), try logits(reloaded, cases)) {
            XCTAssertEqual(a.start, b.start)
            XCTAssertEqual(a.end, b.end)
        }
    }

    /// The loss of a padded batch is the mean of its windows' start and end cross-entropies, each
    /// a softmax over the window's own tokens: the mean of transformers' losses of each case alone.
    func testLossIsTheMeanOfEachWindowsStartAndEndCrossEntropies() throws {
        let (model, _) = try TransferModel.load(Self.fixtures.appending(path: "bert"))
        let cases = try cases()
        XCTAssertGreaterThan(Set(cases.map(\.input_ids.count)).count, 1, "the batch must hold padding")
        let input = EncoderInput(sequences: cases.map(\.input_ids), typeIds: cases.map(\.token_type_ids), padId: 0)
        let logits = try model.logits(input, context: .inference)
        let targets = Targets.spans(IDTensor(shape: [2 * cases.count], ids: cases.flatMap { [$0.start_position, $0.end_position] }),
                                    lengths: cases.map(\.input_ids.count))
        let loss = model.loss(logits: logits, targets: targets).item
        XCTAssertEqual(loss, cases.map(\.loss).reduce(0, +) / Float(cases.count), accuracy: 1e-5)
        // By hand, from the logits: padding (whatever its logits) is in no window's softmax.
        let seq = input.sequenceLength, v = logits.scalars
        var total = 0.0
        for (b, c) in cases.enumerated() {
            for (k, target) in [(0, Int(c.start_position)), (1, Int(c.end_position))] {
                let row = (0..<c.input_ids.count).map { Double(v[(b * seq + $0) * 2 + k]) }
                let m = row.max()!
                total += -(row[target] - m - Foundation.log(row.map { Foundation.exp($0 - m) }.reduce(0, +)))
            }
        }
        XCTAssertEqual(Double(loss), total / Double(2 * cases.count), accuracy: 1e-5)
    }

    func testTrainsAndAnswersInEveryMode() throws {
        let (data, head, prepared) = try tinySquad()
        var checked = 0
        for mode in [TransferMode.featureExtraction, .fineTuning, .extractLayers(1, frozen: false), .lora] {
            let model = try TransferModel.pretrained(try TinyTask.folder().path, head: head, mode: mode, seed: 1)
            var options = TrainingOptions()
            options.epochs = 12
            options.batchSize = 4
            options.learningRate = 1e-2
            options.maxLength = 16
            let result = try Trainer(model: model, options: options).fit(train: prepared, dev: prepared)
            let losses = result.history.steps.map(\.loss)
            XCTAssertLessThan(losses.suffix(3).reduce(0, +), losses.prefix(3).reduce(0, +), "\(mode): \(losses)")
            guard case .questionAnswering(let m)? = result.devMetrics else { return XCTFail("\(mode): no QA metrics") }
            XCTAssertEqual(m.count, 4)
            let answers = try Evaluator(model: model).answers(prepared)
            XCTAssertEqual(answers.count, 4)
            checked += answers.filter { !$0.text.isEmpty }.count
            for (answer, example) in zip(answers, data.examples) where !answer.text.isEmpty {
                let context = Array(example.context.unicodeScalars)
                XCTAssertEqual(answer.text, String(String.UnicodeScalarView(context[answer.start..<answer.end])), "answers are the context's characters")
            }
        }
        // Frozen and LoRA give only empty answers on this tiny model (no span among the n-best):
        // the character check above must still have run on the modes that answer.
        XCTAssertGreaterThan(checked, 0, "every answer was empty, so no answer's characters were checked")
    }

    /// With a frozen encoder the features are computed once: the loss through the cache is the loss
    /// through the whole model.
    func testFeatureCacheGivesTheSameLoss() throws {
        let (data, head, prepared) = try tinySquad()
        let model = try TransferModel.pretrained(try TinyTask.folder().path, head: head, mode: .featureExtraction, seed: 1)
        let cache = try FeatureCache(model: model, data: prepared)
        let trainer = Trainer(model: model, options: TrainingOptions())
        let indices = Array(0..<prepared.count)
        let cached = try cache.loss(model: model, indices: indices, context: .inference).item
        let full = try trainer.batchLoss(prepared, indices, .inference).item
        XCTAssertEqual(cached, full, accuracy: 1e-5)
    }

    /// The tiny SQuAD fixture in windows of 16 tokens with a stride of 4, for the tiny model.
    func tinySquad() throws -> (data: QuestionDataset, head: HeadSettings, prepared: PreparedData) {
        let tokenizer = try Tokenizer.load(directory: TinyTask.folder())
        let data = try QuestionDataset.read(TestPaths.packageRoot.appending(path: "Tests/TransferTests/Fixtures/qa/tiny-squad.json"))
        var head = HeadSettings(task: .questionAnswering, labels: [])
        head.docStride = 4
        return (data, head, try TaskData.questions(data).prepared(head: head, tokenizer: tokenizer, maxLength: 16))
    }
}
