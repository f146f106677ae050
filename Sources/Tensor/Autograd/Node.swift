/// One recorded op: the inputs it read and the closure that turns the output's gradient into
/// gradients for those inputs. This is the whole tape (micrograd style).
final class Node {
    let name: String
    let inputs: [Tensor]
    let backward: (Tensor) -> Void

    init(name: String, inputs: [Tensor], backward: @escaping (Tensor) -> Void) {
        self.name = name
        self.inputs = inputs
        self.backward = backward
    }
}

extension Tensor {
    /// Whether an op reading `inputs` must record itself: grad mode is on and some input needs a gradient.
    static func needsGrad(_ inputs: [Tensor]) -> Bool {
        GradMode.isEnabled && inputs.contains { $0.requiresGrad }
    }

    /// Makes `self` the result of op `name`, recording `backward` when any input needs a gradient.
    /// `backward` gets this tensor's gradient and must call `accumulateGrad` on the inputs that need it.
    @discardableResult
    func recorded(_ name: String, inputs: [Tensor], backward: @escaping (Tensor) -> Void) -> Tensor {
        guard Tensor.needsGrad(inputs) else { return self }
        requiresGrad = true
        creator = Node(name: name, inputs: inputs, backward: backward)
        return self
    }

    /// Adds `g` to this tensor's gradient. The first gradient is adopted without a copy.
    func accumulateGrad(_ g: Tensor) {
        precondition(g.count == count, "gradient of shape \(g.shape) for tensor of shape \(shape)")
        guard let existing = grad else {
            grad = g.shape == shape ? g : Tensor(shape: shape, storage: g.storage)
            gradIsBorrowed = true
            return
        }
        let target = ownedGrad(existing)
        Kernels.addInPlace(target.storage.pointer, g.storage.pointer, count: count)
    }

    /// This tensor's gradient buffer, zeroed when new, for kernels that accumulate into it (`+=`).
    func gradBuffer() -> UnsafeMutablePointer<Float> {
        guard let existing = grad else {
            let g = Tensor(zeros: shape)
            grad = g
            gradIsBorrowed = false
            return g.storage.pointer
        }
        return ownedGrad(existing).storage.pointer
    }

    private func ownedGrad(_ existing: Tensor) -> Tensor {
        if !gradIsBorrowed { return existing }
        let owned = existing.copy()
        let reshaped = Tensor(shape: shape, storage: owned.storage)
        grad = reshaped
        gradIsBorrowed = false
        return reshaped
    }
}
