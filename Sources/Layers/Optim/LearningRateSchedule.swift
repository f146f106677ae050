import Foundation

/// The learning rate for each optimizer step, as the schedules in transformers' `optimization.py`
/// compute it through `torch.optim.lr_scheduler.LambdaLR`.
///
/// `lr(at: step)` is `peak × multiplier(at: step)`, computed in `Double` the way the Python code
/// computes it in Python floats, so the values are exactly the ones PyTorch hands its optimizer.
/// `step` counts optimizer steps already taken: the first update uses `lr(at: 0)`, which is 0 when
/// there is a warmup (the scheduler is stepped after each `optimizer.step()`).
///
/// ```swift
/// let schedule = LearningRateSchedule.linear(peak: 5e-5, warmupSteps: 100, totalSteps: 1000)
/// schedule.lr(at: 50)    // 2.5e-5
/// schedule.lr(at: 550)   // 2.5e-5
/// ```
public enum LearningRateSchedule: Sendable, Hashable {
    /// `peak` at every step (`get_constant_schedule`).
    case constant(peak: Double)
    /// Linear warmup from 0 to `peak` over `warmupSteps`, then `peak` (`get_constant_schedule_with_warmup`).
    case constantWithWarmup(peak: Double, warmupSteps: Int)
    /// Linear warmup from 0 to `peak`, then linear decay to 0 at `totalSteps`
    /// (`get_linear_schedule_with_warmup`, the BERT fine-tuning default).
    case linear(peak: Double, warmupSteps: Int, totalSteps: Int)
    /// Linear warmup, then a cosine from `peak` down to 0 over `cycles` periods; the default half
    /// period ends at 0 at `totalSteps` (`get_cosine_schedule_with_warmup`).
    case cosine(peak: Double, warmupSteps: Int, totalSteps: Int, cycles: Double = 0.5)

    /// The learning rate the schedule reaches after warmup.
    public var peak: Double {
        switch self {
        case .constant(let peak), .constantWithWarmup(let peak, _),
             .linear(let peak, _, _), .cosine(let peak, _, _, _):
            return peak
        }
    }

    /// The learning rate for the update that follows `step` earlier updates: `peak × multiplier(at: step)`.
    public func lr(at step: Int) -> Double {
        peak * multiplier(at: step)
    }

    /// The factor LambdaLR applies to `peak` at `step` (transformers' `lr_lambda`), in [0, 1].
    public func multiplier(at step: Int) -> Double {
        precondition(step >= 0, "learning-rate schedule queried at negative step \(step)")
        switch self {
        case .constant:
            return 1
        case .constantWithWarmup(_, let warmup):
            if step < warmup { return Double(step) / max(1.0, Double(warmup)) }
            return 1
        case .linear(_, let warmup, let total):
            if step < warmup { return Double(step) / Double(max(1, warmup)) }
            return max(0.0, Double(total - step) / Double(max(1, total - warmup)))
        case .cosine(_, let warmup, let total, let cycles):
            if step < warmup { return Double(step) / Double(max(1, warmup)) }
            let progress = Double(step - warmup) / Double(max(1, total - warmup))
            // Same association as Python's `math.pi * float(num_cycles) * 2.0 * progress`.
            return max(0.0, 0.5 * (1.0 + cos(Double.pi * cycles * 2.0 * progress)))
        }
    }
}
