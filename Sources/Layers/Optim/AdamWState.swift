/// A snapshot of ``AdamW``'s state, for resumable training: the step count and, per parameter
/// name, torch's `exp_avg` / `exp_avg_sq` / `step`.
///
/// It is plain values (`Sendable`), so the trainer can write it wherever it keeps checkpoints.
/// ``tensors`` and ``metadata`` give it the flat shape a safetensors file wants, and
/// ``init(tensors:metadata:)`` reads it back; `Layers` itself does no file I/O.
public struct AdamWState: Sendable, Equatable {
    /// The moments of one parameter.
    public struct Moments: Sendable, Equatable {
        /// The updates this parameter has had. It lags ``AdamWState/step`` when the parameter had
        /// no gradient on some steps, as in PyTorch, and sets its bias correction.
        public var step: Int
        /// The parameter's shape.
        public var shape: [Int]
        /// The first moment m (`exp_avg`), row-major.
        public var expAvg: [Float]
        /// The second moment v (`exp_avg_sq`), row-major.
        public var expAvgSq: [Float]

        public init(step: Int, shape: [Int], expAvg: [Float], expAvgSq: [Float]) {
            self.step = step
            self.shape = shape
            self.expAvg = expAvg
            self.expAvgSq = expAvgSq
        }
    }

    /// The number of `step()` calls so far; the learning-rate schedule is read at this step.
    public var step: Int
    /// The moments by parameter name. Parameters that never had a gradient have none.
    public var moments: [String: Moments]

    public init(step: Int, moments: [String: Moments]) {
        self.step = step
        self.moments = moments
    }
}

/// A flat tensor of a saved optimizer state: its shape and row-major values.
public struct StateTensor: Sendable, Equatable {
    public var shape: [Int]
    public var values: [Float]

    public init(shape: [Int], values: [Float]) {
        self.shape = shape
        self.values = values
    }
}

extension AdamWState {
    /// The key prefix of first-moment tensors: `exp_avg.` + parameter name.
    public static let expAvgPrefix = "exp_avg."
    /// The key prefix of second-moment tensors: `exp_avg_sq.` + parameter name.
    public static let expAvgSqPrefix = "exp_avg_sq."
    /// The metadata key of the global step count.
    public static let stepKey = "step"
    /// The metadata key prefix of per-parameter step counts: `step.` + parameter name.
    public static let parameterStepPrefix = "step."
    /// The metadata key naming the optimizer, and its value.
    public static let optimizerKey = "optimizer"
    public static let optimizerName = "AdamW"

    /// The moments as flat tensors keyed `exp_avg.<name>` and `exp_avg_sq.<name>`.
    public var tensors: [String: StateTensor] {
        var out: [String: StateTensor] = [:]
        for (name, state) in moments {
            out[Self.expAvgPrefix + name] = StateTensor(shape: state.shape, values: state.expAvg)
            out[Self.expAvgSqPrefix + name] = StateTensor(shape: state.shape, values: state.expAvgSq)
        }
        return out
    }

    /// The step counts as strings: `step` (global), `step.<name>` (per parameter), and `optimizer`.
    public var metadata: [String: String] {
        var out = [Self.optimizerKey: Self.optimizerName, Self.stepKey: String(step)]
        for (name, state) in moments { out[Self.parameterStepPrefix + name] = String(state.step) }
        return out
    }

    /// Reads a state back from ``tensors`` and ``metadata``, as a checkpoint file returns them.
    ///
    /// - Throws: ``OptimizerStateError`` naming the key when a step is missing or not a count, a
    ///   moment tensor lacks its partner or its values do not fill its shape, or a key is unknown.
    public init(tensors: [String: StateTensor], metadata: [String: String]) throws(OptimizerStateError) {
        if let name = metadata[Self.optimizerKey], name != Self.optimizerName {
            throw .wrongOptimizer(found: name)
        }
        step = try Self.count(metadata, Self.stepKey)
        moments = [:]
        // `exp_avg_sq.x` does not start with `exp_avg.`, so the two prefixes never collide.
        for key in tensors.keys.sorted() {
            let name: String, partner: String
            if key.hasPrefix(Self.expAvgSqPrefix) {
                name = String(key.dropFirst(Self.expAvgSqPrefix.count))
                partner = Self.expAvgPrefix + name
                if tensors[partner] == nil { throw .missingKey(partner) }
                continue
            } else if key.hasPrefix(Self.expAvgPrefix) {
                name = String(key.dropFirst(Self.expAvgPrefix.count))
                partner = Self.expAvgSqPrefix + name
            } else {
                throw .unexpectedKey(key)
            }
            guard let m = tensors[key], let v = tensors[partner] else { throw .missingKey(partner) }
            for (k, t) in [(key, m), (partner, v)] where t.values.count != t.shape.reduce(1, *) {
                throw .countMismatch(key: k, expected: t.shape.reduce(1, *), found: t.values.count)
            }
            guard m.shape == v.shape else { throw .shapeMismatch(key: partner, expected: m.shape, found: v.shape) }
            let parameterStep = try Self.count(metadata, Self.parameterStepPrefix + name)
            moments[name] = Moments(step: parameterStep, shape: m.shape, expAvg: m.values, expAvgSq: v.values)
        }
    }

    private static func count(_ metadata: [String: String], _ key: String) throws(OptimizerStateError) -> Int {
        guard let text = metadata[key] else { throw .missingKey(key) }
        guard let n = Int(text), n >= 0 else { throw .invalidStep(key: key, value: text) }
        return n
    }
}

/// Why an optimizer state could not be read or restored. Each case names the key or parameter.
public enum OptimizerStateError: Error, Equatable, CustomStringConvertible {
    /// The state was written by another optimizer.
    case wrongOptimizer(found: String)
    /// A tensor or metadata entry the state needs is absent.
    case missingKey(String)
    /// A key that is neither a moment tensor nor known metadata.
    case unexpectedKey(String)
    /// A step count that is not a non-negative integer.
    case invalidStep(key: String, value: String)
    /// A tensor whose value count does not fill its shape.
    case countMismatch(key: String, expected: Int, found: Int)
    /// A tensor whose shape differs from the parameter's (or its partner moment's).
    case shapeMismatch(key: String, expected: [Int], found: [Int])
    /// Moments for a parameter the optimizer does not hold.
    case unknownParameter(String)

    public var description: String {
        switch self {
        case .wrongOptimizer(let found):
            return "optimizer state was written by \(found), expected \(AdamWState.optimizerName)"
        case .missingKey(let key):
            return "optimizer state has no \(key)"
        case .unexpectedKey(let key):
            return "optimizer state has an unexpected tensor \(key)"
        case .invalidStep(let key, let value):
            return "optimizer state \(key) is \"\(value)\", expected a non-negative integer"
        case .countMismatch(let key, let expected, let found):
            return "optimizer state \(key) has \(found) values, its shape needs \(expected)"
        case .shapeMismatch(let key, let expected, let found):
            return "optimizer state \(key) has shape \(found), expected \(expected)"
        case .unknownParameter(let name):
            return "optimizer state has moments for \(name), which this optimizer does not hold"
        }
    }
}
