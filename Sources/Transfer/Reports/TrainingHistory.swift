import Foundation

/// What happened during training: the loss and learning rate at every optimizer step, and the
/// metrics of every evaluation on the dev set.
public struct TrainingHistory: Sendable, Hashable, Codable {
    /// One optimizer step.
    public struct Step: Sendable, Hashable, Codable {
        /// The 1-based step number.
        public var step: Int
        /// The epoch, fractional within an epoch (1.5 is halfway through the second).
        public var epoch: Double
        /// The training loss of the step's batch.
        public var loss: Double
        /// The learning rate the step used.
        public var learningRate: Double
        /// Seconds since training started, at the end of the step.
        public var seconds: Double?

        public init(step: Int, epoch: Double, loss: Double, learningRate: Double, seconds: Double? = nil) {
            self.step = step
            self.epoch = epoch
            self.loss = loss
            self.learningRate = learningRate
            self.seconds = seconds
        }
    }

    /// One evaluation on the dev set.
    public struct Evaluation: Sendable, Hashable, Codable {
        /// The step after which the model was evaluated.
        public var step: Int
        /// The epoch at that step.
        public var epoch: Double?
        /// The metrics by name (`accuracy`, `macro_f1`, …; see ``Metrics/summary``).
        public var metrics: [String: Double]
        /// Seconds since training started, when the evaluation ended.
        public var seconds: Double?

        public init(step: Int, epoch: Double? = nil, metrics: [String: Double], seconds: Double? = nil) {
            self.step = step
            self.epoch = epoch
            self.metrics = metrics
            self.seconds = seconds
        }
    }

    /// The steps, in order.
    public var steps: [Step]
    /// The evaluations, in order.
    public var evaluations: [Evaluation]

    public init(steps: [Step] = [], evaluations: [Evaluation] = []) {
        self.steps = steps
        self.evaluations = evaluations
    }

    /// Appends a step.
    public mutating func record(step: Int, epoch: Double, loss: Double, learningRate: Double, seconds: Double? = nil) {
        steps.append(Step(step: step, epoch: epoch, loss: loss, learningRate: learningRate, seconds: seconds))
    }

    /// Appends an evaluation with the ``Metrics/summary`` of `metrics`.
    public mutating func record(evaluationAt step: Int, epoch: Double? = nil, metrics: Metrics, seconds: Double? = nil) {
        evaluations.append(Evaluation(step: step, epoch: epoch, metrics: metrics.values, seconds: seconds))
    }

    /// The names of all metrics evaluated, sorted.
    public var metricNames: [String] {
        Set(evaluations.flatMap(\.metrics.keys)).sorted()
    }

    /// The evaluation with the best value of `metric` (the earliest of equals), or nil if none has it.
    public func best(_ metric: String, higherIsBetter: Bool = true) -> Evaluation? {
        var best: (Evaluation, Double)?
        for evaluation in evaluations {
            guard let value = evaluation.metrics[metric], value.isFinite else { continue }
            if let (_, b) = best, higherIsBetter ? value <= b : value >= b { continue }
            best = (evaluation, value)
        }
        return best?.0
    }
}
