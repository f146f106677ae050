import Tensor

/// Dropout that is active only while its store is in training mode, drawing from the store's
/// seeded generator so that a run repeats exactly.
public final class Dropout {
    public let probability: Float
    let store: ParameterStore

    public init(_ path: WeightPath, probability: Float) {
        self.probability = probability
        store = path.store
    }

    /// True while dropout changes its input: in training mode with a positive probability.
    public var isActive: Bool { store.training && probability > 0 }

    public func callAsFunction(_ x: Tensor) -> Tensor {
        x.dropout(probability, training: store.training, generator: &store.generator)
    }
}
