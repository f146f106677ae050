import BertKit
import Foundation
import TestSupport
import XCTest

/// llm.c's test, for BERT: one padded batch through a tiny `BertForSequenceClassification` (pooler head, dropout 0),
/// and the logits, the loss and every parameter's gradient against PyTorch's, computed in float64
/// (Fixtures/gradcheck, written by scripts/fixtures/golden_fixtures.py).
final class WholeModelGradientTests: XCTestCase {
    static let folder = TestPaths.packageRoot.appending(path: "Tests/TransferTests/Fixtures/gradcheck")

    func testEveryParameterGradientMatchesPyTorch() throws {
        let expected = try SafeTensorsFile(url: Self.folder.appending(path: "expected.safetensors"))
        func ids(_ key: String) throws -> IDTensor {
            IDTensor(shape: try expected.tensorInfo(key).shape, ids: try expected.int64s(key).map { Int32($0) })
        }
        let config = try EncoderConfig(contentsOf: Self.folder.appending(path: "config.json"))
        let labels = try ids("labels")
        let head = HeadSettings(task: .classification, labels: ["0", "1", "2"], pooling: .pooler)
        let model = try TransferModel(config: config, head: head, mode: .fineTuning)
        let report = try model.store.load(from: Checkpoint.open(Self.folder))
        XCTAssertEqual(report.unexpectedKeys, [], "the model has a parameter for every checkpoint tensor")

        let input = EncoderInput(inputIds: try ids("input_ids"), attentionMask: try ids("attention_mask"),
                                 tokenTypeIds: try ids("token_type_ids"))
        let logits = try model.logits(input, context: .training(RandomStream(seed: 0)))
        let loss = model.loss(logits: logits, targets: .classes(labels))
        assertClose(logits.scalars, try expected.floats("logits"), tolerance: 1e-5, "logits")
        assertClose([loss.item], try expected.floats("loss"), tolerance: 1e-6, "loss")
        loss.backward()

        let parameters = model.store.parameters(under: "")
        let expectedNames = Set(expected.keys.filter { $0.hasPrefix("grad.") }.map { String($0.dropFirst(5)) })
        XCTAssertEqual(Set(parameters.map(\.name)), expectedNames, "the same parameters on both sides")
        var worst = (name: "", error: 0.0)
        for parameter in parameters where expectedNames.contains(parameter.name) {
            let want = try expected.floats("grad." + parameter.name)
            let got = parameter.grad?.scalars ?? [Float](repeating: 0, count: parameter.count)
            XCTAssertEqual(got.count, want.count, parameter.name)
            // Every entry within 1e-5 of PyTorch's, and ‖got − want‖ / ‖want‖ ≤ 1e-4. The key projection's bias
            // is the exception: it adds the same q·b to every score of a query, which softmax ignores, so its
            // true gradient is 0 (PyTorch's float64 gives ~1e-17); ours must be 0 up to float32 rounding.
            XCTAssertLessThanOrEqual(maxAbsDifference(got, want), 1e-5, "\(parameter.name): max abs gradient difference")
            let diff = zip(got, want).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }.squareRoot()
            let norm = want.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            if norm < 1e-10 {
                XCTAssertTrue(parameter.name.hasSuffix("attention.self.key.bias"), "\(parameter.name): zero reference gradient")
                XCTAssertLessThanOrEqual(diff, 1e-6, "\(parameter.name): gradient should be 0")
                continue
            }
            let relative = diff / norm
            if relative > worst.error { worst = (parameter.name, relative) }
            XCTAssertLessThanOrEqual(relative, 1e-4, "\(parameter.name): relative gradient error \(relative)")
        }
        XCTAssertGreaterThan(parameters.count, 30)
        print("whole-model gradients: \(parameters.count) parameters, worst relative error \(worst.error) (\(worst.name))")
    }
}
