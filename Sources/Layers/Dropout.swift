import Tensor

/// Dropout, active only in a training ``ForwardContext``, drawing from the context's seeded
/// stream so that a run repeats exactly.
public struct Dropout {
    public let probability: Float

    public init(probability: Float) {
        self.probability = probability
    }

    /// True while dropout changes its input: in training with a positive probability.
    public func isActive(in context: ForwardContext) -> Bool { context.training && probability > 0 }

    public func callAsFunction(_ x: Tensor, _ context: ForwardContext) -> Tensor {
        x.dropout(probability, training: context.training, generator: &context.random.generator)
    }
}
