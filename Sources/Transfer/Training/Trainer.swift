import Checkpoints
import Dispatch
import Foundation
import Layers
import Models
import Tensor

/// Trains a ``TransferModel``: AdamW with decoupled weight decay, linear warmup then decay,
/// gradient clipping and accumulation, evaluation on a dev set with early stopping and the best
/// weights kept, resumable checkpoints, and — with a frozen encoder — features computed once.
///
/// ```swift
/// let trainer = Trainer(model: model, options: TrainingOptions())
/// let result = try trainer.fit(train: trainData, dev: devData)
/// ```
public final class Trainer {
    public let model: TransferModel
    public let options: TrainingOptions
    /// Called after every optimizer step.
    public var onProgress: ((TrainingProgress) -> Void)?
    /// Called while a frozen encoder's features are computed: (examples done, total).
    public var onFeatureProgress: ((Int, Int) -> Void)?
    /// Called after every evaluation.
    public var onEvaluation: ((TrainingHistory.Evaluation) -> Void)?

    let optimizer: AdamW
    /// The ranks training together (``Communicator/world()`` under `mpirun`); one process by default.
    public var communicator = Communicator.single
    /// Sums the gradients over the ranks with allreduce (data-parallel, when the ranks do not sum in shared memory).
    lazy var buckets = GradientBuckets(parameters: optimizer.parameters, communicator: communicator)

    /// Where the run is: the next batch to train and what is known of the best model so far.
    struct State: Codable {
        var epoch = 0
        var nextBatch = 0
        var globalStep = 0
        var bestValue: Double?
        var bestStep: Int?
        var evaluationsWithoutImprovement = 0
        var history = TrainingHistory()
        var seconds: Double = 0
        var epochSeconds: [Double] = []
        var options: TrainingOptions?
        /// ``PreparedData/fingerprint`` of the training data.
        var data: String?
    }
    var state = State()
    var best: [String: [Float]]?

    public init(model: TransferModel, options: TrainingOptions) {
        self.model = model
        self.options = options
        optimizer = AdamW(model.store.parameters.filter(\.trainable), schedule: .constant(peak: 0),
                          weightDecay: options.weightDecay)
    }

    /// What a finished (or stopped) run produced.
    public struct Result: Sendable {
        /// Every step's loss and learning rate, and every evaluation.
        public var history: TrainingHistory
        /// The step whose weights the model holds at the end (the best on dev, when there was one).
        public var bestStep: Int?
        public var bestValue: Double?
        public var metricName: String
        /// Final metrics on the dev set, with the weights the model ends with.
        public var devMetrics: Metrics?
        public var seconds: Double
        /// Wall time of each epoch, the feature pass of a frozen encoder not included.
        public var epochSeconds: [Double]
        /// Seconds spent computing cached features of a frozen encoder.
        public var featureSeconds: Double
        /// True when `stopAfterSteps` stopped the run before its end.
        public var stopped: Bool
        public var stoppedEarly: Bool
    }

    /// Trains on `train`, evaluating on `dev` when given.
    ///
    /// - Parameter checkpoints: a folder for resumable checkpoints; with `resume`, training
    ///   continues from the checkpoint there, ending with the same weights as an uninterrupted run.
    public func fit(train: PreparedData, dev: PreparedData?, checkpoints: URL? = nil, resume: Bool = false) throws -> Result {
        let precision = options.precision ?? Precision.current
        guard precision != .int8 else {
            throw TransferError.invalidSetting("int8 is for inference (embed, eval, predict); train in fp32 or bf16")
        }
        return try Precision.with(precision) { try fitInPrecision(train: train, dev: dev, checkpoints: checkpoints, resume: resume) }
    }

    func fitInPrecision(train: PreparedData, dev: PreparedData?, checkpoints: URL?, resume: Bool) throws -> Result {
        try options.validate()
        guard train.count > 0 else { throw TransferError.training("the training set is empty") }
        let start = Date()
        let batchesPerEpoch = (train.count + options.batchSize - 1) / options.batchSize
        let stepsPerEpoch = (batchesPerEpoch + options.gradientAccumulation - 1) / options.gradientAccumulation
        let totalSteps = stepsPerEpoch * options.epochs
        let warmup = Int((Double(totalSteps) * options.warmupRatio).rounded(.up))
        optimizer.schedule = .linear(peak: options.peakLearningRate(for: model.mode), warmupSteps: warmup, totalSteps: totalSteps)
        let metricName = options.metric ?? defaultMetricName
        let metricNames = Metrics.names(for: model.head.task)
        guard metricNames.contains(metricName) else {
            throw TransferError.invalidSetting("metric \"\(metricName)\" is not computed for \(model.head.task.rawValue); "
                + "use one of \(metricNames.joined(separator: ", "))")
        }
        let fingerprint = train.fingerprint

        if resume {
            guard let checkpoints else { throw TransferError.training("--resume needs an output folder holding a checkpoint") }
            try restore(from: checkpoints, batchesPerEpoch: batchesPerEpoch, stepsPerEpoch: stepsPerEpoch, data: fingerprint)
        } else {
            state = State()
        }
        state.options = options
        state.data = fingerprint

        // A frozen encoder gives the same features every epoch: compute them once.
        let featureStart = Date()
        let total = train.count + (dev?.count ?? 0)
        let report = onFeatureProgress
        let cache = options.cacheFeatures && model.encoderIsFrozen
            ? try FeatureCache(model: model, data: train, ranks: communicator, progress: report.map { f in { f($0, total) } }) : nil
        let devCache = cache != nil && dev != nil
            ? try FeatureCache(model: model, data: dev!, ranks: communicator, progress: report.map { f in { f(train.count + $0, total) } }) : nil
        try cache?.gather(over: communicator)
        try devCache?.gather(over: communicator)
        let featureSeconds = cache == nil ? 0 : Date().timeIntervalSince(featureStart)

        // Ranks that share a host sum their gradients and split the step in memory they share (with
        // one backward pass a step; with more, allreduce sums and they still split the step); one
        // rank per host sums with allreduce and steps whole.
        let shared = try SharedOptimizerState.make(optimizer: optimizer, communicator: communicator)
        defer { shared?.release() }
        let gradientSum: GradientSum?
        if communicator.size == 1 {
            gradientSum = nil
        } else if let shared, options.gradientAccumulation == 1 {
            gradientSum = shared
        } else {
            gradientSum = buckets
        }
        communicator.sumsInSharedMemory = shared != nil && gradientSum === shared
        // Idle memory kept for reuse: a forward pass's activations and, on top, a step's gradients
        // and what they accumulate in, unless those live in the shared memory.
        if !communicator.sumsInSharedMemory {
            MemoryPool.keepIdle(additionally: 2 * optimizer.parameters.reduce(0) { $0 + $1.count } * MemoryLayout<Float>.size)
        }

        var stopped = false, stoppedEarly = false
        epochs: while state.epoch < options.epochs {
            let epochStart = Date()
            let order = Trainer.order(count: train.count, seed: options.seed, epoch: state.epoch)
            var lossSum = 0.0, lossCount = 0, examples = 0
            var batch = state.nextBatch
            while batch < batchesPerEpoch {
                let indices = Array(order[(batch * options.batchSize)..<min((batch + 1) * options.batchSize, train.count)])
                // Data-parallel: this rank's share of the global batch; dropout keyed on each example's position.
                let share = share(lengths: indices.map { train.encodings[$0].count }), mine = Array(indices[share])
                let weight = lossWeight(mine: mine, all: indices, data: train)
                let first = batch * options.batchSize
                let context = ForwardContext.training(RandomStream(dropoutGenerator(
                    epoch: state.epoch, batch: batch, positions: (first + share.lowerBound)..<(first + share.upperBound), indices: mine, data: train)))
                let localLoss = mine.isEmpty ? nil : try cache?.loss(model: model, indices: mine, context: context) ?? batchLoss(train, mine, context)
                let lossValue = Float(try communicator.sum([Double(localLoss?.item ?? 0) * Double(weight)])[0])
                guard lossValue.isFinite else { throw diverged("the loss is \(lossValue.isNaN ? "NaN" : "\(lossValue)")", batch: batch, checkpoints: checkpoints) }
                lossSum += Double(lossValue); lossCount += 1; examples += indices.count
                let stepEnds = (batch + 1) % options.gradientAccumulation == 0 || batch + 1 == batchesPerEpoch
                let scale = weight / Float(options.gradientAccumulation)
                gradientSum?.prepareStep(viewing: options.gradientAccumulation == 1)
                let hook: ((Tensor) -> Void)? = stepEnds ? gradientSum?.gradientReady : nil
                localLoss.map { (scale != 1 ? $0.scaled(scale) : $0).backward(onLeafReady: hook) }
                batch += 1
                guard stepEnds else { continue }
                // A non-finite gradient would poison every weight it reaches: stop before the step.
                let norm = try gradientSum?.finish() ?? optimizer.gradientNorm()
                guard norm.isFinite else { throw diverged("the gradient norm is \(norm.isNaN ? "NaN" : "\(norm)")", batch: batch, checkpoints: checkpoints) }
                let lr = optimizer.learningRate
                // Clipping (clip_grad_norm_) is applied by AdamW as it reads each gradient.
                let clip = options.maxGradNorm.flatMap { clipCoefficient(norm: norm, maxNorm: Float($0)) }
                if let shared { try shared.step(gradientScale: clip) } else { optimizer.step(gradientScale: clip) }
                state.globalStep += 1
                state.nextBatch = batch
                let epochProgress = Double(state.epoch) + Double(batch) / Double(batchesPerEpoch)
                state.history.record(step: state.globalStep, epoch: epochProgress, loss: Double(lossValue), learningRate: lr,
                                     seconds: state.seconds + Date().timeIntervalSince(start))
                let elapsed = Date().timeIntervalSince(epochStart)
                onProgress?(TrainingProgress(step: state.globalStep, totalSteps: totalSteps, epoch: state.epoch + 1, epochs: options.epochs,
                                             loss: lossSum / Double(lossCount), learningRate: lr,
                                             examplesPerSecond: elapsed > 0 ? Double(examples) / elapsed : 0))
                if let every = options.evaluateEvery, state.globalStep % every == 0, let dev {
                    if try evaluate(dev, cache: devCache, metric: metricName, epoch: epochProgress) { stoppedEarly = true }
                }
                if let checkpoints, let every = options.checkpointEvery, state.globalStep % every == 0 {
                    try saveCheckpoint(to: checkpoints)
                }
                if stoppedEarly { break epochs }
                if let stop = options.stopAfterSteps, state.globalStep >= stop {
                    if let checkpoints { try saveCheckpoint(to: checkpoints) }
                    stopped = true
                    break epochs
                }
            }
            state.epochSeconds.append(Date().timeIntervalSince(epochStart))
            state.epoch += 1
            state.nextBatch = 0
            if options.evaluateEvery == nil, let dev {
                if try evaluate(dev, cache: devCache, metric: metricName, epoch: Double(state.epoch)) { stoppedEarly = true }
            }
            if let checkpoints { try saveCheckpoint(to: checkpoints) }
            if stoppedEarly { break }
        }
        if !stopped, let best { restoreWeights(best) }
        if !stopped { try checkFiniteOutputs(dev ?? train, checkpoints: checkpoints) }
        var devMetrics: Metrics? = nil
        if !stopped, let dev { devMetrics = try evaluator.metrics(dev, cache: devCache) }
        state.seconds += Date().timeIntervalSince(start)
        return Result(history: state.history, bestStep: best == nil ? nil : state.bestStep,
                      bestValue: state.bestValue, metricName: metricName, devMetrics: devMetrics, seconds: state.seconds,
                      epochSeconds: state.epochSeconds, featureSeconds: featureSeconds, stopped: stopped, stoppedEarly: stoppedEarly)
    }

    /// Finite weights can still overflow in the forward pass: the model to be saved must give finite
    /// outputs on the first batch of `data` (the dev data, else the training data), or the run diverged.
    func checkFiniteOutputs(_ data: PreparedData, checkpoints: URL?) throws {
        guard data.count > 0 else { return }
        let indices = Array(0..<min(data.count, options.batchSize))
        let logits = try model.logits(data.input(indices), context: .inference)
        guard logits.scalars.allSatisfy(\.isFinite) else {
            throw diverged("the final model's outputs on \(indices.count) examples are NaN or infinite", batch: nil, checkpoints: checkpoints)
        }
    }

    /// The error that ends a diverged run; the checkpoint on disk (if any) is the last good one.
    /// `batch` is nil when the run diverged after its last step.
    func diverged(_ what: String, batch: Int?, checkpoints: URL?) -> TransferError {
        let when = batch.map { "at step \(state.globalStep + 1) (epoch \(state.epoch + 1), batch \($0))" } ?? "after step \(state.globalStep)"
        var text = "training diverged \(when): \(what); "
            + "no model was saved. Lower the learning rate (now \(options.peakLearningRate(for: model.mode)))"
        if let checkpoints, FileManager.default.fileExists(atPath: checkpoints.appending(path: Trainer.checkpointName).path) {
            text += "; the last good checkpoint in \(checkpoints.path) can still be resumed with the same options"
        }
        return .training(text)
    }

    var defaultMetricName: String {
        switch model.head.task {
        case .classification: return "accuracy"
        case .regression: return "mse"
        case .multiLabel: return "micro_f1"
        case .tagging: return "token_accuracy"
        case .questionAnswering: return "f1"
        }
    }

    /// The loss of one batch through the whole model.
    func batchLoss(_ data: PreparedData, _ indices: [Int], _ context: ForwardContext) throws -> Tensor {
        let input = data.input(indices)
        guard let targets = data.batchTargets(indices, length: input.sequenceLength) else {
            throw TransferError.training("training data has no labels")
        }
        return model.loss(logits: try model.logits(input, context: context), targets: targets)
    }

    /// The data order of an epoch: a permutation that depends only on the seed and the epoch, so a
    /// resumed run sees the batches an uninterrupted one would.
    static func order(count: Int, seed: UInt64, epoch: Int) -> [Int] {
        var g = SeededGenerator(seed: seed &* 0x9E37_79B9 &+ UInt64(epoch) &+ 1)
        var order = Array(0..<count)
        for i in stride(from: count - 1, to: 0, by: -1) {
            order.swapAt(i, Int(g.next() % UInt64(i + 1)))
        }
        return order
    }

    /// Evaluates, records, keeps the best weights; returns true when early stopping says stop.
    func evaluate(_ dev: PreparedData, cache: FeatureCache?, metric: String, epoch: Double) throws -> Bool {
        let metrics = try evaluator.metrics(dev, cache: cache)
        let values = metrics.values
        guard let value = values[metric] else {
            throw TransferError.invalidSetting("metric \"\(metric)\" is not computed for this task; available: \(values.keys.sorted().joined(separator: ", "))")
        }
        state.history.record(evaluationAt: state.globalStep, epoch: epoch, metrics: metrics)
        onEvaluation?(state.history.evaluations.last!)
        let higherIsBetter = metrics.summary.first { $0.name == metric }?.higherIsBetter ?? true
        if state.bestValue == nil || (higherIsBetter ? value > state.bestValue! : value < state.bestValue!) {
            state.bestValue = value
            state.bestStep = state.globalStep
            state.evaluationsWithoutImprovement = 0
            best = snapshot()
        } else {
            state.evaluationsWithoutImprovement += 1
        }
        if let patience = options.earlyStoppingPatience, state.evaluationsWithoutImprovement >= patience { return true }
        return false
    }

    /// Evaluates the dev set sharded over the ranks (each every `size`-th batch), gathered on all.
    var evaluator: Evaluator {
        var evaluator = Evaluator(model: model)
        evaluator.ranks = communicator
        return evaluator
    }

    func snapshot() -> [String: [Float]] {
        Dictionary(uniqueKeysWithValues: model.store.parameters.filter(\.trainable).map { ($0.name, $0.value.scalars) })
    }

    func restoreWeights(_ weights: [String: [Float]]) {
        for p in model.store.parameters {
            guard let values = weights[p.name] else { continue }
            p.value.withUnsafeMutableBufferPointer { buffer in
                for i in buffer.indices { buffer[i] = values[i] }
            }
        }
    }
}
