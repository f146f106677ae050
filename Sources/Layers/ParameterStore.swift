import Tensor

/// Every parameter of a model, in creation order, named by its path in the checkpoint's key tree,
/// each with its `trainable` flag. What a forward pass reads besides weights (training or not,
/// dropout's generator) is its ``ForwardContext``, never the store.
public final class ParameterStore {
    public private(set) var parameters: [Parameter] = []
    private var index: [String: Parameter] = [:]

    /// The generator behind random initialisation.
    public var generator: SeededGenerator
    /// When true, new parameters start as zeros and remember their initializer, so that weights
    /// about to be loaded from a checkpoint cost no random draws; ``initializePending()`` then
    /// fills the ones no checkpoint provided (a new head), in creation order.
    public var defersInitialization = false
    var pending: [String: Initializer] = [:]
    /// While initialization is deferred: whether to allocate a parameter of this name and shape.
    /// A loader sets it to "the checkpoint holds this shape", so that sizes read from a config
    /// are never allocated before the checkpoint confirms them (a `vocab_size` of 2⁵⁰ would
    /// abort the process). A parameter refused here is created empty, and loading reports it.
    public var allocationCheck: ((_ name: String, _ shape: [Int]) -> Bool)?
    /// The shapes of parameters ``allocationCheck`` refused, by name.
    public private(set) var unallocated: [String: [Int]] = [:]

    func refuseAllocation(_ name: String, shape: [Int]) { unallocated[name] = shape }

    public init(seed: UInt64 = 0) {
        generator = SeededGenerator(seed: seed)
    }

    /// The root of the weight-path tree.
    public var root: WeightPath { WeightPath(store: self, segments: []) }

    func add(_ parameter: Parameter) {
        precondition(index[parameter.name] == nil, "parameter \(parameter.name) created twice")
        parameters.append(parameter)
        index[parameter.name] = parameter
    }

    /// Drops parameters (a merged adapter's).
    func remove(_ names: Set<String>) {
        parameters.removeAll { names.contains($0.name) }
        for name in names { index[name] = nil }
    }

    /// Whether a parameter belongs to a LoRA adapter (`….lora_A.weight`, `….lora_B.weight`).
    public static func isAdapterParameter(_ name: String) -> Bool {
        name.contains(".lora_A.") || name.contains(".lora_B.") || name.hasPrefix("lora_A.") || name.hasPrefix("lora_B.")
    }

    /// The parameter with this exact name.
    public subscript(name: String) -> Parameter? { index[name] }

    /// Parameters whose name starts with `prefix` (a whole path segment: `encoder.layer.1.`).
    public func parameters(under prefix: String) -> [Parameter] {
        parameters.filter { $0.name.hasPrefix(prefix) }
    }

    /// Sets `trainable` on every parameter whose name starts with `prefix` (all when empty).
    public func setTrainable(_ trainable: Bool, under prefix: String = "") {
        for p in parameters(under: prefix) { p.trainable = trainable }
    }

    public var totalCount: Int { parameters.reduce(0) { $0 + $1.count } }
    public var trainableCount: Int { parameters.filter(\.trainable).reduce(0) { $0 + $1.count } }

    /// Marks a parameter as filled (by a checkpoint): it will not be initialised.
    public func markLoaded(_ name: String) { pending[name] = nil }

    /// Initialises, in creation order, every deferred parameter that was not loaded.
    public func initializePending() {
        precondition(unallocated.isEmpty, "initializePending: \(unallocated.count) parameters were never allocated (the checkpoint load should have failed)")
        defersInitialization = false
        allocationCheck = nil
        for p in parameters {
            guard let initializer = pending.removeValue(forKey: p.name) else { continue }
            let values = WeightPath.initialValues(p.shape, initializer, &generator)
            p.value.withUnsafeMutableBufferPointer { buffer in
                for i in buffer.indices { buffer[i] = values[i] }
            }
        }
    }

    /// Drops every accumulated gradient.
    public func zeroGrad() {
        for p in parameters { p.value.zeroGrad() }
    }
}

/// How a new parameter is filled before any checkpoint is loaded into it.
public enum Initializer: Sendable {
    case zeros
    case ones
    /// Normal with mean 0 and this standard deviation (BERT's `initializer_range`).
    case normal(std: Float)
    /// Uniform in [−bound, bound) (PyTorch's `kaiming_uniform_`, as LoRA's `A` starts).
    case uniform(bound: Float)
}

/// A position in the weight-path tree. Constructors extend it with the checkpoint's own segment
/// names (`path["attention"]["self"]`), so the module tree reproduces the key tree.
public struct WeightPath {
    public let store: ParameterStore
    public let segments: [String]

    /// The dotted name of this position, e.g. `encoder.layer.3`.
    public var name: String { segments.joined(separator: ".") }

    /// One level down.
    public subscript(_ segment: String) -> WeightPath {
        WeightPath(store: store, segments: segments + [segment])
    }

    /// One level down, by index (`encoder.layer.3`).
    public subscript(_ index: Int) -> WeightPath { self[String(index)] }

    /// Creates and registers the parameter `name` under this path.
    public func parameter(_ name: String, shape: [Int], initializer: Initializer) -> Parameter {
        let fullName = self[name].name
        let value: Tensor
        if store.defersInitialization, let check = store.allocationCheck, !check(fullName, shape) {
            value = Tensor(zeros: [0])
            store.refuseAllocation(fullName, shape: shape)
            store.pending[fullName] = initializer
        } else if store.defersInitialization {
            value = Tensor(zeros: shape)
            store.pending[fullName] = initializer
        } else {
            value = Tensor(shape: shape, scalars: WeightPath.initialValues(shape, initializer, &store.generator))
        }
        let parameter = Parameter(name: fullName, value: value)
        store.add(parameter)
        return parameter
    }

    static func initialValues(_ shape: [Int], _ initializer: Initializer, _ generator: inout SeededGenerator) -> [Float] {
        let n = shape.reduce(1, *)
        switch initializer {
        case .zeros: return [Float](repeating: 0, count: n)
        case .ones: return [Float](repeating: 1, count: n)
        case .normal(let std): return (0..<n).map { _ in std * generator.nextNormal() }
        case .uniform(let bound): return (0..<n).map { _ in bound * (2 * generator.nextUnit() - 1) }
        }
    }
}
