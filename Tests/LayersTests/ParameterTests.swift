import Layers
@_spi(Testing) import Tensor
import TestSupport
import XCTest

final class ParameterTests: XCTestCase {
    func testNamesFollowConstruction() {
        let store = ParameterStore(seed: 0)
        let path = store.root["encoder"]["layer"][3]["attention"]["self"]
        _ = Linear(path["query"], inFeatures: 4, outFeatures: 4)
        _ = LayerNorm(store.root["embeddings"]["LayerNorm"], size: 4, eps: 1e-12)
        XCTAssertEqual(store.parameters.map(\.name), [
            "encoder.layer.3.attention.self.query.weight", "encoder.layer.3.attention.self.query.bias",
            "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias",
        ])
        XCTAssertEqual(store.totalCount, 16 + 4 + 4 + 4)
    }

    /// Keras `trainable=False`: the frozen layer gets no gradient and no backward work, while
    /// the trainable layer above it still learns.
    func testFrozenParametersGetNoGradient() {
        let store = ParameterStore(seed: 1)
        let lower = Linear(store.root["lower"], inFeatures: 6, outFeatures: 6)
        let upper = Linear(store.root["upper"], inFeatures: 6, outFeatures: 2)
        store.setTrainable(false, under: "lower.")
        XCTAssertEqual(store.trainableCount, 6 * 2 + 2)

        let x = Tensor.random([5, 6], seed: 2)
        WorkCounters.start()
        upper(lower(x, ForwardContext()).relu(), ForwardContext()).sum().backward()
        XCTAssertNil(lower.weight.grad)
        XCTAssertNil(lower.bias?.grad)
        XCTAssertNotNil(upper.weight.grad)
        XCTAssertNotNil(upper.bias?.grad)
        XCTAssertEqual(WorkCounters.backward, ["sum": 1, "linear": 1])
    }

    func testUnfreezingRestoresGradients() {
        let store = ParameterStore(seed: 1)
        let layer = Linear(store.root["l"], inFeatures: 3, outFeatures: 3)
        store.setTrainable(false)
        store.setTrainable(true, under: "l.weight")
        layer(Tensor.random([2, 3], seed: 3), ForwardContext()).sum().backward()
        XCTAssertNotNil(layer.weight.grad)
        XCTAssertNil(layer.bias?.grad)
    }
}
