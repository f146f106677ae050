import Tensor

/// How to train; the defaults are the BERT paper's recipe.
public struct TrainingOptions: Sendable, Codable, Equatable {
    public var epochs = 3
    public var batchSize = 32
    /// Peak learning rate; nil picks the mode's default (5e-5 when the encoder trains, 1e-3 frozen).
    public var learningRate: Double?
    /// Fraction of optimizer steps spent warming up linearly from 0 (then linear decay to 0).
    public var warmupRatio = 0.1
    /// AdamW's decoupled weight decay (never on biases and LayerNorm weights).
    public var weightDecay = 0.01
    /// Clip gradients to this global L2 norm; nil turns clipping off.
    public var maxGradNorm: Double? = 1.0
    /// Batches whose gradients are summed before each optimizer step.
    public var gradientAccumulation = 1
    /// Seeds the head's initialisation, dropout and the data order; a run repeats exactly.
    public var seed: UInt64 = 0
    /// Inputs are truncated to this many tokens.
    public var maxLength = 128
    /// Evaluate every N optimizer steps; nil evaluates after each epoch.
    public var evaluateEvery: Int?
    /// Stop after this many evaluations without improvement of `metric`; nil never stops early.
    public var earlyStoppingPatience: Int?
    /// The dev metric that picks the best model and drives early stopping; nil uses the task's
    /// primary metric (accuracy, micro F1, Pearson, token accuracy).
    public var metric: String?
    /// With a frozen encoder, compute its features once and train the head on them.
    public var cacheFeatures = true
    /// Save a resumable checkpoint every N optimizer steps (and after every epoch).
    public var checkpointEvery: Int?
    /// Stop, as if killed, after this many optimizer steps (checkpoint saved): for tests and demos.
    public var stopAfterSteps: Int?
    /// The dense layers' precision: fp32, or bf16 products with float master weights, moments and
    /// loss (mixed precision). `nil` follows ``Precision/current``. int8 is for inference only.
    public var precision: Precision?

    public init() {}

    /// The peak learning rate for `mode`.
    public func peakLearningRate(for mode: TransferMode) -> Double { learningRate ?? mode.defaultLearningRate }

    /// Checks the values (they come from the command line).
    public func validate() throws(TransferError) {
        func positive(_ value: Int, _ name: String) throws(TransferError) {
            if value <= 0 { throw .invalidSetting("\(name) must be positive, got \(value)") }
        }
        try positive(epochs, "epochs")
        try positive(batchSize, "batch size")
        try positive(gradientAccumulation, "gradient accumulation")
        try positive(maxLength, "max length")
        if let evaluateEvery { try positive(evaluateEvery, "evaluate-every") }
        if let checkpointEvery { try positive(checkpointEvery, "checkpoint-every") }
        if let earlyStoppingPatience { try positive(earlyStoppingPatience, "early-stopping patience") }
        if let learningRate, !(learningRate > 0 && learningRate.isFinite) {
            throw .invalidSetting("learning rate must be a positive finite number, got \(learningRate)")
        }
        if !(0..<1).contains(warmupRatio) { throw .invalidSetting("warmup ratio must be in [0, 1), got \(warmupRatio)") }
        if !(weightDecay >= 0 && weightDecay.isFinite) {
            throw .invalidSetting("weight decay must be a non-negative finite number, got \(weightDecay)")
        }
        if let maxGradNorm, !(maxGradNorm > 0 && maxGradNorm.isFinite) {
            throw .invalidSetting("max grad norm must be a positive finite number, got \(maxGradNorm)")
        }
        if let stopAfterSteps { try positive(stopAfterSteps, "stop-after-steps") }
    }
}

/// What a training run reports as it goes.
public struct TrainingProgress: Sendable {
    public var step: Int
    public var totalSteps: Int
    public var epoch: Int
    public var epochs: Int
    /// Mean loss over the current epoch so far.
    public var loss: Double
    public var learningRate: Double
    /// Training examples per second over the current epoch.
    public var examplesPerSecond: Double
}
