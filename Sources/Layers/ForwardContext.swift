import Tensor

/// Everything a forward pass reads besides its weights and its input. Every module's forward
/// takes one, so a model's signature says all it depends on.
///
/// ```swift
/// let output = try model(input, context: .inference)                    // no dropout, no tape
/// let loss = try model(input, context: .training(RandomStream(seed: 42)))  // dropout, gradients
/// ```
///
/// The thread count and the matrix backend are process settings (``Threads``, `MatrixBackend`),
/// not part of a pass.
public struct ForwardContext {
    /// Dropout is active.
    public var training: Bool
    /// What dropout draws from; every module of a pass draws from the same stream, in order.
    public let random: RandomStream
    /// The dense layers' number format.
    public var precision: Precision
    /// Whether operations record their backward (the tape).
    public var recordsGradients: Bool
    /// Return every layer's output (`output_hidden_states`).
    public var outputsHiddenStates: Bool
    /// Return every layer's attention probabilities (`output_attentions`); the packed path is not
    /// taken then.
    public var outputsAttentions: Bool

    public init(training: Bool = false, random: RandomStream = RandomStream(seed: 0), precision: Precision = .current,
                recordsGradients: Bool? = nil, outputsHiddenStates: Bool = false, outputsAttentions: Bool = false) {
        self.training = training
        self.random = random
        self.precision = precision
        self.recordsGradients = recordsGradients ?? training
        self.outputsHiddenStates = outputsHiddenStates
        self.outputsAttentions = outputsAttentions
    }

    /// No dropout, no gradients, in the process's precision.
    public static var inference: ForwardContext { ForwardContext() }

    /// Dropout from `random`, gradients recorded.
    public static func training(_ random: RandomStream, precision: Precision = .current) -> ForwardContext {
        ForwardContext(training: true, random: random, precision: precision)
    }

    /// The same context with dropout off (a frozen encoder under a training head).
    public var evaluating: ForwardContext {
        var c = self
        c.training = false
        return c
    }

    /// Nobody reads attention probabilities: not asked for, and no backward pass needs them.
    public var discardsAttentionProbabilities: Bool { !outputsAttentions && !training && !recordsGradients }

    /// Runs `body` with the kernels' precision and gradient recording set from this context: the
    /// one place a pass hands them to the tensor operations.
    public func run<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        try Precision.with(precision) { () throws(E) -> R in
            if recordsGradients { return try body() }
            return try withNoGrad(body)
        }
    }
}

/// The seeded generator a pass's dropout draws from, shared by reference between the modules.
public final class RandomStream {
    public var generator: SeededGenerator

    public init(seed: UInt64) { generator = SeededGenerator(seed: seed) }
    public init(_ generator: SeededGenerator) { self.generator = generator }
}
