// Element-wise arithmetic with NumPy broadcasting: add, sub, mul, scale, bias add, sum, mean.

/// Plain kernels over flat buffers. Each differentiable op pairs a forward with a backward;
/// the `Tensor` extensions below record them on the tape.
public enum Kernels {
    /// y[i] += x[i]
    static func addInPlace(_ y: UnsafeMutablePointer<Float>, _ x: UnsafePointer<Float>, count: Int) {
        Threads.parallelFor(count, work: count) { r in
            for i in r { y[i] += x[i] }
        }
    }

    /// y[i] = a · x[i]
    static func scale(_ x: UnsafePointer<Float>, _ a: Float, _ y: UnsafeMutablePointer<Float>, count: Int) {
        Threads.parallelFor(count, work: count) { r in
            for i in r { y[i] = a * x[i] }
        }
    }
}

/// How two shapes broadcast: the result shape and, per operand, the stride of each result axis
/// (0 where the operand is broadcast).
struct Broadcast {
    let shape: [Int]
    let stridesA: [Int]
    let stridesB: [Int]

    init(_ a: [Int], _ b: [Int]) {
        let rank = max(a.count, b.count)
        let pa = Array(repeating: 1, count: rank - a.count) + a
        let pb = Array(repeating: 1, count: rank - b.count) + b
        var shape = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            precondition(pa[i] == pb[i] || pa[i] == 1 || pb[i] == 1,
                         "shapes \(a) and \(b) do not broadcast")
            shape[i] = pa[i] == 1 ? pb[i] : pa[i]
        }
        self.shape = shape
        stridesA = Broadcast.strides(pa, result: shape)
        stridesB = Broadcast.strides(pb, result: shape)
    }

    static func strides(_ s: [Int], result: [Int]) -> [Int] {
        var strides = [Int](repeating: 0, count: s.count)
        var step = 1
        for i in stride(from: s.count - 1, through: 0, by: -1) {
            strides[i] = s[i] == 1 && result[i] != 1 ? 0 : step
            step *= s[i]
        }
        return strides
    }

    /// Calls `body(out, offsetA, offsetB)` for every element of the result, in row-major order.
    func forEach(_ body: (Int, Int, Int) -> Void) {
        let rank = shape.count
        let total = Tensor.elementCount(shape)
        if rank == 0 { if total == 1 { body(0, 0, 0) }; return }
        var index = [Int](repeating: 0, count: rank)
        var offA = 0, offB = 0
        let inner = shape[rank - 1], sa = stridesA[rank - 1], sb = stridesB[rank - 1]
        var out = 0
        while out < total {
            var a = offA, b = offB
            for _ in 0..<inner {
                body(out, a, b)
                out += 1; a += sa; b += sb
            }
            // Advance the odometer over the outer axes.
            var axis = rank - 2
            while axis >= 0 {
                index[axis] += 1
                offA += stridesA[axis]; offB += stridesB[axis]
                if index[axis] < shape[axis] { break }
                offA -= stridesA[axis] * shape[axis]; offB -= stridesB[axis] * shape[axis]
                index[axis] = 0
                axis -= 1
            }
            if axis < 0 { break }
        }
    }
}

extension Tensor {
    /// Sums `g` (of the broadcast result's shape) down to `shape`, undoing a broadcast.
    static func reduce(_ g: Tensor, to shape: [Int]) -> Tensor {
        if g.shape == shape { return g }
        let out = Tensor(zeros: shape)
        let bc = Broadcast(shape, g.shape)
        precondition(bc.shape == g.shape, "cannot reduce \(g.shape) to \(shape)")
        let src = g.storage.pointer, dst = out.storage.pointer
        bc.forEach { o, a, _ in dst[a] += src[o] }
        return out
    }

    private static func binary(
        _ name: String, _ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float,
        backward: @escaping (Tensor) -> (Tensor?, Tensor?)
    ) -> Tensor {
        let pa = a.storage.pointer, pb = b.storage.pointer
        let out: Tensor
        if a.shape == b.shape {
            out = .uninitialized(a.shape)
            let po = out.storage.pointer
            Threads.parallelFor(a.count, work: a.count) { r in
                for i in r { po[i] = f(pa[i], pb[i]) }
            }
        } else if b.count > 0, a.rank >= b.rank, case let inner = Array(b.shape.drop { $0 == 1 }),
                  a.rank >= inner.count, Array(a.shape.suffix(inner.count)) == inner {
            // Fast path: b repeats along a's leading axes (a bias, a row of weights, position
            // embeddings [1, seq, hidden] on [batch, seq, hidden]).
            out = .uninitialized(a.shape)
            let po = out.storage.pointer, n = b.count
            Threads.parallelFor(a.count / n, work: a.count) { rows in
                for row in rows {
                    let base = row * n
                    for j in 0..<n { po[base + j] = f(pa[base + j], pb[j]) }
                }
            }
        } else {
            let bc = Broadcast(a.shape, b.shape)
            out = .uninitialized(bc.shape)
            let po = out.storage.pointer
            bc.forEach { o, ia, ib in po[o] = f(pa[ia], pb[ib]) }
        }
        return out.recorded(name, inputs: [a, b]) { g in
            let (ga, gb) = backward(g)
            if a.requiresGrad, let ga { a.accumulateGrad(reduce(ga, to: a.shape)) }
            if b.requiresGrad, let gb { b.accumulateGrad(reduce(gb, to: b.shape)) }
        }
    }

    /// Element-wise sum with broadcasting.
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        binary("add", a, b, +) { g in (g, g) }
    }

    /// Element-wise difference with broadcasting.
    public static func - (a: Tensor, b: Tensor) -> Tensor {
        binary("sub", a, b, -) { g in (g, b.requiresGrad ? g.scaled(-1, record: false) : nil) }
    }

    /// Element-wise product with broadcasting.
    public static func * (a: Tensor, b: Tensor) -> Tensor {
        binary("mul", a, b, *) { g in
            (a.requiresGrad ? Tensor.multiplyPlain(g, b) : nil, b.requiresGrad ? Tensor.multiplyPlain(g, a) : nil)
        }
    }

    /// g ⊙ x broadcast to g's shape, outside the tape.
    static func multiplyPlain(_ g: Tensor, _ x: Tensor) -> Tensor {
        withNoGrad { g * x }
    }

    /// Adds a bias of shape `[n]` to every row of a tensor whose last axis is `n`.
    public func addingBias(_ bias: Tensor) -> Tensor {
        precondition(bias.rank == 1 && shape.last == bias.count, "bias \(bias.shape) for tensor \(shape)")
        return self + bias
    }

    /// Multiplies every element by `factor`.
    public func scaled(_ factor: Float) -> Tensor { scaled(factor, record: true) }

    func scaled(_ factor: Float, record: Bool) -> Tensor {
        let out = Tensor.uninitialized(shape)
        Kernels.scale(storage.pointer, factor, out.storage.pointer, count: count)
        guard record else { return out }
        return out.recorded("scale", inputs: [self]) { [self] g in
            accumulateGrad(g.scaled(factor, record: false))
        }
    }

    /// The sum of all elements, as a scalar.
    public func sum() -> Tensor {
        var total: Double = 0
        let p = storage.pointer
        for i in 0..<count { total += Double(p[i]) }
        let out = Tensor(Float(total))
        return out.recorded("sum", inputs: [self]) { [self] g in
            accumulateGrad(Tensor(repeating: g.item, shape: shape))
        }
    }

    /// The mean of all elements, as a scalar.
    public func mean() -> Tensor {
        sum().scaled(1 / Float(Swift.max(count, 1)))
    }
}
