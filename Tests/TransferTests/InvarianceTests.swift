import BertKit
import Foundation
import TestSupport
import XCTest

/// The README's promise: for one model, precision and CPU, a text's outputs (embeddings, logits,
/// tags) are the same bytes whatever the thread count, the batch size and the other texts in its
/// batch. The texts are the repo's sentiment sentences (4 to 40-odd tokens), so batches mix lengths.
final class InvarianceTests: XCTestCase {
    override func tearDown() { Threads.set(Threads.defaultCount) }

    func sentences(_ count: Int) throws -> [String] {
        let file = TestPaths.packageRoot.appending(path: "examples/sentiment/dev.tsv")
        return Array(try ClassificationDataset.read(file).examples.map(\.text).prefix(count))
    }

    /// Each run's outputs, as bit patterns, checked equal to the first run's.
    func assertSameBytes(_ runs: [(String, [[Float]])], file: StaticString = #filePath, line: UInt = #line) {
        guard let (firstName, first) = runs.first else { return }
        for (name, outputs) in runs.dropFirst() {
            XCTAssertEqual(outputs.count, first.count, name, file: file, line: line)
            let differing = zip(outputs, first).filter { $0.map(\.bitPattern) != $1.map(\.bitPattern) }.count
            XCTAssertEqual(differing, 0, "\(differing) of \(first.count) outputs differ between \(firstName) and \(name)",
                           file: file, line: line)
        }
    }

    func testEmbeddingsAreTheSameBytesAtAnyThreadCountAndBatchSize() throws {
        let texts = try sentences(48)
        var embedder = try SentenceEmbedder(model: try TestPaths.demoModel().path)
        for precision in [Precision.fp32, .int8] {
            embedder.precision = precision
            var runs: [(String, [[Float]])] = []
            for threads in [1, 2, 3] {
                for batch in [1, 7, 32] {
                    Threads.set(threads)
                    embedder.batchSize = batch
                    runs.append(("\(precision), \(threads) threads, batch \(batch)", try embedder.embed(texts)))
                }
            }
            assertSameBytes(runs)
        }
        // A text alone gives the bytes it gave among the others.
        embedder.precision = .fp32
        let alone = try embedder.embed([texts[5]])
        XCTAssertEqual(alone[0].map(\.bitPattern), try embedder.embed(texts)[5].map(\.bitPattern))
    }

    func testLogitsAndTagsAreTheSameBytesAtAnyThreadCountAndBatchSize() throws {
        let texts = try sentences(24)
        let tokenizer = try Tokenizer.load(directory: try TestPaths.demoModel())
        let sequence = HeadSettings(task: .classification, labels: ["negative", "positive"], pooling: .mean)
        let tagging = HeadSettings(task: .tagging, labels: ["A", "B", "C"])
        for head in [sequence, tagging] {
            let model = try TransferModel.pretrained(try TestPaths.demoModel().path, head: head, mode: .fineTuning, seed: 3)
            let data = head.task == .tagging
                ? PreparedData.unlabelledWords(texts.map { $0.split(separator: " ").map(String.init) }, tokenizer: tokenizer, maxLength: 64)
                : PreparedData.unlabelled(texts, tokenizer: tokenizer, maxLength: 64)
            var runs: [(String, [[Float]])] = []
            for (threads, batch) in [(1, 1), (2, 7), (3, 32), (2, 64)] {
                Threads.set(threads)
                let logits = try Evaluator(model: model, batchSize: batch).predict(data).map { $0.logits.flatMap { $0 ?? [] } }
                runs.append(("\(head.task), \(threads) threads, batch \(batch)", logits))
            }
            assertSameBytes(runs)
        }
    }
}
