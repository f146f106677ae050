import Tensor

/// Adam with decoupled weight decay, matching `torch.optim.AdamW` (single-tensor CPU path) step for
/// step, with a learning-rate schedule as transformers' `get_…_schedule_with_warmup` gives it.
///
/// One optimizer step, with gradient accumulation over `k` micro-batches:
///
/// ```swift
/// let optimizer = AdamW(store.parameters,
///                       schedule: .linear(peak: 2e-5, warmupSteps: 100, totalSteps: 1000))
/// for batch in microBatches {                 // k of them
///     loss(batch).scaled(1 / Float(k)).backward()   // gradients add up across backward calls
/// }
/// let norm = optimizer.clipGradientNorm(maxNorm: 1)
/// optimizer.step()                            // updates, then drops every gradient
/// ```
///
/// - **Which parameters move.** Only parameters that are `trainable` and hold a gradient. A frozen
///   parameter, or one the loss did not reach, is skipped, like a PyTorch parameter whose `grad` is
///   `None`: no decay, no moment update, and its own step count (which sets its bias correction) does
///   not advance. Moments are allocated on a parameter's first update, so frozen parameters cost no
///   optimizer memory. Passing every parameter of a model is fine, and lets gradual unfreezing work.
/// - **Weight decay** is decoupled, `p ← p·(1 − lr·λ)` before the Adam step, as torch does, and
///   applied only where ``weightDecayRule`` says so (by default not to biases, LayerNorm weights or
///   any rank-0/1 parameter; see ``WeightDecayRule``).
/// - **Gradients.** ``step()`` drops the gradients of all its parameters once it has used them (like
///   `zero_grad(set_to_none=True)` right after `step()`), so the next accumulation starts clean and
///   the gradient memory is released between steps. ``zeroGrad()`` discards them without stepping.
/// - **Precision.** Scalars (learning rate, betas, bias corrections) are computed in `Double`, as
///   PyTorch computes them in Python floats, and rounded to `Float` once per step; the element-wise
///   update is in `Float`. Parameters match PyTorch's to about an ulp per step.
public final class AdamW {
    /// The parameters this optimizer may update, in the order given.
    public let parameters: [Parameter]
    /// The learning rate for each step. ``learningRate`` is its value for the next step.
    public var schedule: LearningRateSchedule
    /// β₁, the decay of the first moment (torch `betas[0]`).
    public var beta1: Double
    /// β₂, the decay of the second moment (torch `betas[1]`).
    public var beta2: Double
    /// ε, added to √v̂ in the denominator (torch's default 1e-8; transformers' old AdamW used 1e-6).
    public var eps: Double
    /// λ, the decoupled weight decay for the parameters ``weightDecayRule`` selects.
    public var weightDecay: Double
    /// Which parameters are decayed; evaluated once per parameter at initialization.
    public let weightDecayRule: WeightDecayRule
    /// The number of ``step()`` calls so far (restored by ``restore(_:)``); the schedule is read here.
    public private(set) var stepCount = 0

    private let decays: [Bool]
    private let indexByName: [String: Int]
    /// Per parameter (same order as `parameters`): m, v and the updates it has had; nil until its first update.
    private var moments: [Moments?]

    private struct Moments {
        let expAvg: Tensor
        let expAvgSq: Tensor
        var step: Int
    }

    /// Where each parameter's moments live (m, then v; as many floats as the parameter has), when
    /// the caller provides the memory. See ``placeMoments(_:)``.
    public typealias MomentPlacement = (_ parameterIndex: Int) -> (expAvg: UnsafeMutablePointer<Float>, expAvgSq: UnsafeMutablePointer<Float>)
    private var placement: MomentPlacement?

    /// An optimizer over `parameters` (their names must be unique), following `schedule`.
    public init(
        _ parameters: [Parameter],
        schedule: LearningRateSchedule,
        betas: (Double, Double) = (0.9, 0.999),
        eps: Double = 1e-8,
        weightDecay: Double = 0.01,
        weightDecayRule: WeightDecayRule = .standard
    ) {
        precondition((0..<1).contains(betas.0) && (0..<1).contains(betas.1), "AdamW betas must be in [0, 1), got \(betas)")
        precondition(eps >= 0 && weightDecay >= 0, "AdamW eps and weight decay must be non-negative")
        var index: [String: Int] = [:]
        for (i, p) in parameters.enumerated() {
            precondition(index.updateValue(i, forKey: p.name) == nil, "AdamW given parameter \(p.name) twice")
        }
        self.parameters = parameters
        self.schedule = schedule
        beta1 = betas.0
        beta2 = betas.1
        self.eps = eps
        self.weightDecay = weightDecay
        self.weightDecayRule = weightDecayRule
        decays = parameters.map { weightDecayRule.decays(name: $0.name, shape: $0.shape) }
        indexByName = index
        moments = Array(repeating: nil, count: parameters.count)
    }

    /// An optimizer with a constant learning rate (torch's default 1e-3).
    public convenience init(
        _ parameters: [Parameter],
        learningRate: Double = 1e-3,
        betas: (Double, Double) = (0.9, 0.999),
        eps: Double = 1e-8,
        weightDecay: Double = 0.01,
        weightDecayRule: WeightDecayRule = .standard
    ) {
        self.init(parameters, schedule: .constant(peak: learningRate), betas: betas, eps: eps,
                  weightDecay: weightDecay, weightDecayRule: weightDecayRule)
    }

    /// The learning rate the next ``step()`` will use.
    public var learningRate: Double { schedule.lr(at: stepCount) }

    /// Whether weight decay applies to the parameter with this name (false for names not held).
    public func appliesWeightDecay(to name: String) -> Bool {
        indexByName[name].map { decays[$0] } ?? false
    }

    /// The number of floats held in moments: 2 × the elements of every parameter updated so far.
    public var stateElementCount: Int {
        moments.reduce(0) { $0 + ($1.map { $0.expAvg.count * 2 } ?? 0) }
    }

    /// Updates every trainable parameter that has a gradient, then drops all its parameters' gradients.
    ///
    /// The learning rate is `schedule.lr(at: stepCount)`; ``stepCount`` then advances by one.
    ///
    /// `gradientScale` multiplies every gradient as it is read, rounded to Float as scaling it in
    /// place would be: clipping without a pass of its own over the gradients,
    ///
    /// ```swift
    /// let norm = optimizer.gradientNorm()
    /// optimizer.step(gradientScale: clipCoefficient(norm: norm, maxNorm: 1))
    /// ```
    ///
    /// gives the bits of `clipGradientNorm(maxNorm: 1)` then `step()`.
    ///
    /// `part` limits the update to the elements `part(i)` of parameter `i` (by its index in
    /// ``parameters``); the step counts advance as in a whole step. Processes that share the
    /// parameters and moments in memory (``placeMoments(_:)``) each update their own part, and
    /// together make the whole step.
    public func step(gradientScale: Float? = nil, part: ((Int) -> Range<Int>)? = nil) {
        let lr = learningRate
        for (i, parameter) in parameters.enumerated() {
            guard parameter.trainable, let grad = parameter.grad else { continue }
            precondition(grad.count == parameter.count,
                         "gradient of \(parameter.name) has \(grad.count) elements, parameter has \(parameter.count)")
            let range = part?(i) ?? 0..<parameter.count
            precondition(range.lowerBound >= 0 && range.upperBound <= parameter.count, "part \(range) of \(parameter.name) out of bounds")
            if moments[i] == nil { moments[i] = newMoments(i, zeroing: range) }
            moments[i]!.step += 1
            let state = moments[i]!
            var scalars = AdamWScalars(lr: lr, beta1: beta1, beta2: beta2, eps: eps,
                                       weightDecay: decays[i] ? weightDecay : 0, step: state.step)
            scalars.gradientScale = gradientScale ?? 1
            // Entered even for an empty part: the parameter's derived copies (bf16) are dropped.
            parameter.value.withUnsafeMutableBufferPointer { p in
                guard !range.isEmpty else { return }
                grad.withUnsafeBufferPointer { g in
                    state.expAvg.withUnsafeMutableBufferPointer { m in
                        state.expAvgSq.withUnsafeMutableBufferPointer { v in
                            let o = range.lowerBound
                            OptimKernels.adamW(parameter: p.baseAddress! + o, gradient: g.baseAddress! + o,
                                               expAvg: m.baseAddress! + o, expAvgSq: v.baseAddress! + o,
                                               count: range.count, scalars)
                        }
                    }
                }
            }
        }
        stepCount += 1
        zeroGrad()
    }

    /// Zeroed moments for parameter `i`: in memory of their own, or where ``placeMoments(_:)``
    /// says, zeroing there only `zeroing` (the part this process updates; the others zero theirs).
    private func newMoments(_ i: Int, zeroing: Range<Int>) -> Moments {
        let shape = parameters[i].shape
        guard let placement else { return Moments(expAvg: Tensor(zeros: shape), expAvgSq: Tensor(zeros: shape), step: 0) }
        let (m, v) = placement(i)
        for memory in [m, v] { (memory + zeroing.lowerBound).update(repeating: 0, count: zeroing.count) }
        return Moments(expAvg: Tensor(shape: shape, viewing: m), expAvgSq: Tensor(shape: shape, viewing: v), step: 0)
    }

    /// Keeps the moments in memory the caller provides, from now on: the moments held so far are
    /// copied there, and new ones are made there. Data-parallel ranks on one host give every rank
    /// the same memory, so that each updates a part (``step(gradientScale:part:)``) and all see
    /// the whole state; they keep it alive for as long as this optimizer lives.
    public func placeMoments(_ placement: @escaping MomentPlacement) {
        self.placement = placement
        for (i, state) in moments.enumerated() {
            guard let state else { continue }
            let (m, v) = placement(i)
            state.expAvg.moveValues(to: m, copying: true)
            state.expAvgSq.moveValues(to: v, copying: true)
        }
    }

    /// Moves the moments back into memory of their own (before the memory given to
    /// ``placeMoments(_:)`` goes away); new moments are made there again.
    public func ownMoments() {
        placement = nil
        for state in moments {
            state?.expAvg.ownValues()
            state?.expAvgSq.ownValues()
        }
    }

    /// Drops the gradients of all this optimizer's parameters (an accumulation is discarded).
    public func zeroGrad() {
        for parameter in parameters { parameter.value.zeroGrad() }
    }

    /// Clips the gradients of this optimizer's parameters to a global L2 norm of `maxNorm` and
    /// returns their norm before clipping. See ``clipGradientNorm(_:maxNorm:)``.
    @discardableResult
    public func clipGradientNorm(maxNorm: Float) -> Float {
        Layers.clipGradientNorm(parameters, maxNorm: maxNorm)
    }

    /// The global L2 norm of the gradients of the parameters it updates.
    public func gradientNorm() -> Float {
        Layers.gradientNorm(parameters)
    }

    /// A copy of the optimizer's state, for a checkpoint.
    public func state() -> AdamWState {
        var out: [String: AdamWState.Moments] = [:]
        for (i, parameter) in parameters.enumerated() {
            guard let state = moments[i] else { continue }
            out[parameter.name] = AdamWState.Moments(step: state.step, shape: parameter.shape,
                                                     expAvg: state.expAvg.scalars, expAvgSq: state.expAvgSq.scalars)
        }
        return AdamWState(step: stepCount, moments: out)
    }

    /// Replaces the optimizer's state with a saved one, so training resumes where it stopped.
    ///
    /// Parameters without moments in `state` start fresh, as they would in PyTorch. Nothing changes
    /// when the state does not fit.
    ///
    /// - Throws: ``OptimizerStateError/unknownParameter(_:)`` for moments of a parameter this
    ///   optimizer does not hold, ``OptimizerStateError/shapeMismatch(key:expected:found:)`` or
    ///   ``OptimizerStateError/countMismatch(key:expected:found:)`` when they do not fit it.
    public func restore(_ state: AdamWState) throws(OptimizerStateError) {
        for name in state.moments.keys.sorted() {
            let saved = state.moments[name]!
            guard let i = indexByName[name] else { throw .unknownParameter(name) }
            let parameter = parameters[i]
            guard saved.shape == parameter.shape else {
                throw .shapeMismatch(key: AdamWState.expAvgPrefix + name, expected: parameter.shape, found: saved.shape)
            }
            for (prefix, values) in [(AdamWState.expAvgPrefix, saved.expAvg), (AdamWState.expAvgSqPrefix, saved.expAvgSq)]
            where values.count != parameter.count {
                throw .countMismatch(key: prefix + name, expected: parameter.count, found: values.count)
            }
        }
        moments = parameters.map { parameter in
            state.moments[parameter.name].map {
                Moments(expAvg: Tensor(shape: parameter.shape, scalars: $0.expAvg),
                        expAvgSq: Tensor(shape: parameter.shape, scalars: $0.expAvgSq), step: $0.step)
            }
        }
        if let placement { placeMoments(placement) }
        stepCount = state.step
    }
}
