extension Tensor {
    /// Reverse-mode differentiation from this tensor.
    ///
    /// One topological pass over the recorded ops, latest first. Leaves that require a gradient
    /// accumulate it in `grad` (adding to what is there, so several backward calls accumulate).
    /// Only tensors that require gradients are on the tape, so frozen subgraphs are never visited.
    /// The graph is released afterwards.
    ///
    /// - Parameters:
    ///   - gradient: the seed; defaults to 1 for a one-element tensor.
    ///   - onLeafReady: called with each leaf (a parameter) as soon as its gradient is final, while
    ///     the rest of the backward pass still runs: data-parallel training starts its allreduce there.
    public func backward(_ gradient: Tensor? = nil, onLeafReady: ((Tensor) -> Void)? = nil) {
        precondition(requiresGrad, "backward() on a tensor that does not require a gradient")
        let seed = gradient ?? {
            precondition(count == 1, "backward() without a seed needs a scalar, shape is \(shape)")
            return Tensor(repeating: 1, shape: shape)
        }()
        precondition(seed.count == count, "seed of shape \(seed.shape) for tensor of shape \(shape)")

        let order = topologicalOrder()
        accumulateGrad(seed)
        for tensor in order.reversed() {
            guard let node = tensor.creator, let g = tensor.grad else {
                // Reverse topological order: every op reading a leaf has run, so its gradient is final.
                if tensor.creator == nil, tensor.grad != nil { onLeafReady?(tensor) }
                continue
            }
            WorkCounters.countBackward(node.name)
            node.backward(g)
            // Intermediate results keep neither their gradient nor their op once used.
            tensor.creator = nil
            tensor.grad = nil
        }
    }

    /// Tensors reachable through recorded ops, each after all of its inputs (iterative DFS).
    private func topologicalOrder() -> [Tensor] {
        var order: [Tensor] = []
        var visited = Set<ObjectIdentifier>()
        var stack: [(Tensor, Int)] = [(self, 0)]
        visited.insert(ObjectIdentifier(self))
        while let (tensor, next) = stack.popLast() {
            let inputs = tensor.creator?.inputs ?? []
            if next < inputs.count {
                stack.append((tensor, next + 1))
                let input = inputs[next]
                if input.requiresGrad, visited.insert(ObjectIdentifier(input)).inserted {
                    stack.append((input, 0))
                }
            } else {
                order.append(tensor)
            }
        }
        return order
    }
}
