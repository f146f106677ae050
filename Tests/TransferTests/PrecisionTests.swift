import BertKit
import Foundation
import TestSupport
import XCTest

/// bf16 and int8 on the demo model, against BertKit's own fp32, at the bars of the compute-backend
/// issue: embeddings within cosine 0.999 (bf16) and 0.99 minimum / 0.998 mean (int8), and a trained
/// classifier's predictions all but unchanged. The texts are the repo's sentiment example (424 sentences).
final class PrecisionTests: XCTestCase {
    func demoModel() throws -> URL { try TestPaths.demoModel() }

    func sentimentTexts() throws -> [String] {
        let folder = TestPaths.packageRoot.appending(path: "examples/sentiment")
        return try ["train.tsv", "dev.tsv"].flatMap { name in
            try ClassificationDataset.read(folder.appending(path: name)).examples.map(\.text)
        }
    }

    func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var dot = 0.0, na = 0.0, nb = 0.0
        for (x, y) in zip(a, b) { dot += Double(x * y); na += Double(x * x); nb += Double(y * y) }
        return dot / (na.squareRoot() * nb.squareRoot())
    }

    func testEmbeddingsStayCloseToFP32() throws {
        let texts = try sentimentTexts()
        XCTAssertEqual(texts.count, 424)
        var embedder = try SentenceEmbedder(model: try demoModel().path)
        let reference = try embedder.embed(texts)
        for (precision, minimum, mean) in [(Precision.bf16, 0.999, 0.9995), (.int8, 0.99, 0.998)] {
            embedder.precision = precision
            let vectors = try embedder.embed(texts)
            let cosines = zip(vectors, reference).map { cosine($0, $1) }
            let lowest = cosines.min()!, average = cosines.reduce(0, +) / Double(cosines.count)
            XCTAssertGreaterThanOrEqual(lowest, minimum, "\(precision): lowest cosine to fp32")
            XCTAssertGreaterThanOrEqual(average, mean, "\(precision): mean cosine to fp32")
            if precision == .bf16 && !MatrixBackend.current.bf16Kernel.native {
                // No bf16 instructions here: bf16 runs as fp32, faster than converting, and says so.
                XCTAssertEqual(vectors, reference, "bf16 without bf16 instructions runs fp32")
            } else {
                // And it is not fp32 by mistake: the products really ran in another format.
                XCTAssertLessThan(lowest, 0.9999999, "\(precision) gave fp32's embeddings")
            }
        }
        // fp32 again after the others: packed weights never leak into fp32 (and 8 texts give the
        // bytes they gave among 424: inference is batch-invariant).
        embedder.precision = .fp32
        XCTAssertEqual(try embedder.embed(Array(texts.prefix(8))), Array(reference.prefix(8)))
    }

    /// A head trained on frozen MiniLM features (feature extraction), evaluated in each precision.
    func testTrainedClassifierScoresTheSameInLowerPrecision() throws {
        let folder = TestPaths.packageRoot.appending(path: "examples/sentiment")
        let head = HeadSettings(task: .classification, labels: ["negative", "positive"], pooling: .mean)
        let model = try TransferModel.pretrained(try demoModel().path, head: head, mode: .featureExtraction, seed: 1)
        let tokenizer = try Tokenizer.load(directory: try demoModel())
        let train = try PreparedData.sequences(try ClassificationDataset.read(folder.appending(path: "train.tsv")),
                                               head: head, tokenizer: tokenizer, maxLength: 64)
        let dev = try PreparedData.sequences(try ClassificationDataset.read(folder.appending(path: "dev.tsv")),
                                             head: head, tokenizer: tokenizer, maxLength: 64)
        var options = TrainingOptions()
        options.epochs = 3
        _ = try Trainer(model: model, options: options).fit(train: train, dev: nil)
        func accuracy(_ precision: Precision) throws -> (Double, [String]) {
            try Precision.with(precision) {
                guard case .classification(let m) = try Evaluator(model: model).metrics(dev) else { throw CocoaError(.featureUnsupported) }
                return (m.accuracy, try Evaluator(model: model).predictions(dev))
            }
        }
        let (fp32, fp32Labels) = try accuracy(.fp32)
        XCTAssertGreaterThan(fp32, 0.7, "the head learned the task")
        // The bars (0.3 and 0.5 accuracy points) are for SST-2 dev's 872 sentences, where a
        // point is 8.7 predictions (scripts/acceptance, docs/accuracy.md). On these 100 a point is one
        // prediction: at most one may change in bf16. int8 moves more sentences across the boundary: with the
        // dropout masks keyed by example (data-parallel training), heads trained from seeds 1…5 saw 2, 3, 0, 1
        // and 1 of 100 change (accuracy up as often as down), so two may change here.
        for (precision, allowed) in [(Precision.bf16, 1), (.int8, 2)] {
            let (score, labels) = try accuracy(precision)
            let flips = zip(labels, fp32Labels).filter { $0 != $1 }.count
            XCTAssertLessThanOrEqual(flips, allowed, "\(precision) changed \(flips) of \(labels.count) predictions (accuracy \(score), fp32 \(fp32))")
        }
    }
}

extension Evaluator {
    /// The predicted label of each example, for comparing two precisions example by example.
    func predictions(_ data: PreparedData) throws -> [String] {
        try predict(data).map { $0.labels.first ?? "" }
    }
}
