// Element-wise activations: GELU (exact erf form and tanh approximation), tanh, ReLU, leaky ReLU, sigmoid.
import CKernels
import Foundation

extension Tensor {
    /// y = f(x) element-wise; backward multiplies by f'(x), given x and y.
    private func unary(
        _ name: String, _ f: @escaping (Float) -> Float, derivative: @escaping (_ x: Float, _ y: Float) -> Float
    ) -> Tensor {
        let out = Tensor.uninitialized(shape)
        let x = storage.pointer, y = out.storage.pointer
        Threads.parallelFor(count, work: count * 8) { r in
            for i in r { y[i] = f(x[i]) }
        }
        return out.recorded(name, inputs: [self]) { [self, unowned out] g in
            let dx = Tensor.uninitialized(shape)
            let x = storage.pointer, y = out.storage.pointer, d = dx.storage.pointer, gy = g.storage.pointer
            Threads.parallelFor(count, work: count * 8) { r in
                for i in r { d[i] = gy[i] * derivative(x[i], y[i]) }
            }
            accumulateGrad(dx)
        }
    }

    /// GELU in its exact form, x·Φ(x) = ½x(1 + erf(x/√2)): Hugging Face's `"gelu"`.
    /// Vectorized (`CKernels`); VectorKernelTests checks it and its derivative against libm's erf.
    ///
    /// With `bias` (`[cols]`, added to every row of the last axis), the result is
    /// `gelu(self + bias)` in one pass: a dense layer's bias joins the activation instead of being
    /// written out first. The plain twin is `(self + bias).gelu()`.
    public func gelu(addingBias bias: Tensor? = nil) -> Tensor {
        let cols = shape.last ?? 1, rows = count / Swift.max(cols, 1)
        if let bias { precondition(bias.shape == [cols], "gelu: bias \(bias.shape) for input \(shape)") }
        let out = Tensor.uninitialized(shape)
        Kernels.geluForward(storage.pointer, bias: bias?.storage.pointer, out.storage.pointer, rows: rows, cols: cols)
        return out.recorded("gelu", inputs: bias.map { [self, $0] } ?? [self]) { [self] g in
            let dx = Tensor.uninitialized(shape)
            Kernels.geluBackward(storage.pointer, bias: bias?.storage.pointer, g.storage.pointer, dx.storage.pointer,
                                 rows: rows, cols: cols)
            if let bias, bias.requiresGrad { Kernels.addColumnSums(dx.storage.pointer, rows: rows, cols: cols, into: bias.gradBuffer()) }
            if requiresGrad { accumulateGrad(dx) }
        }
    }

    /// GELU's tanh approximation: Hugging Face's `"gelu_new"` and `"gelu_pytorch_tanh"`.
    public func geluTanh() -> Tensor {
        unary("gelu_tanh", ActivationMath.geluTanh, derivative: { x, _ in ActivationMath.geluTanhDerivative(x) })
    }

    public func tanh() -> Tensor {
        unary("tanh", { Foundation.tanhf($0) }, derivative: { _, y in 1 - y * y })
    }

    public func relu() -> Tensor {
        unary("relu", { Swift.max($0, 0) }, derivative: { x, _ in x > 0 ? 1 : 0 })
    }

    /// max(x, slope·x) for a slope in [0, 1); Keras' default slope is 0.3, PyTorch's 0.01.
    public func leakyRelu(slope: Float = 0.01) -> Tensor {
        unary("leaky_relu", { $0 > 0 ? $0 : slope * $0 }, derivative: { x, _ in x > 0 ? 1 : slope })
    }

    public func sigmoid() -> Tensor {
        unary("sigmoid", ActivationMath.sigmoid, derivative: { _, y in y * (1 - y) })
    }
}

extension Kernels {
    /// y = ½v(1 + erf(v/√2)),  v = x + b   (x, y: rows × cols; b: cols, or none).
    /// The loop is C (`CKernels`), built for the widest vectors the CPU has.
    static func geluForward(
        _ x: UnsafePointer<Float>, bias b: UnsafePointer<Float>?, _ y: UnsafeMutablePointer<Float>, rows: Int, cols: Int
    ) {
        Threads.parallelFor(rows, work: rows * cols * 8) { range in
            let offset = range.lowerBound * cols
            bertkit_gelu_forward(x + offset, b, y + offset, range.count, cols)
        }
    }

    /// dx = dy · (Φ(v) + v·φ(v)),  v = x + b,  Φ(v) = ½(1 + erf(v/√2)),  φ(v) = e^(−v²/2)/√(2π)
    static func geluBackward(
        _ x: UnsafePointer<Float>, bias b: UnsafePointer<Float>?, _ dy: UnsafePointer<Float>,
        _ dx: UnsafeMutablePointer<Float>, rows: Int, cols: Int
    ) {
        Threads.parallelFor(rows, work: rows * cols * 12) { range in
            let offset = range.lowerBound * cols
            bertkit_gelu_backward(x + offset, b, dy + offset, dx + offset, range.count, cols)
        }
    }
}

/// Scalar activation functions and their derivatives for the ops written in Swift (exact GELU is in `CKernels`).
public enum ActivationMath {
    static let sqrt2OverPi: Float = 0.79788456080286536

    @inline(__always) public static func geluTanh(_ x: Float) -> Float {
        0.5 * x * (1 + Foundation.tanhf(sqrt2OverPi * (x + 0.044715 * x * x * x)))
    }

    @inline(__always) static func geluTanhDerivative(_ x: Float) -> Float {
        let u = sqrt2OverPi * (x + 0.044715 * x * x * x)
        let t = Foundation.tanhf(u)
        let du = sqrt2OverPi * (1 + 3 * 0.044715 * x * x)
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du
    }

    @inline(__always) public static func sigmoid(_ x: Float) -> Float {
        x >= 0 ? 1 / (1 + Foundation.expf(-x)) : Foundation.expf(x) / (1 + Foundation.expf(x))
    }
}
