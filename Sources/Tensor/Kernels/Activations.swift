// Element-wise activations: GELU (exact erf form and tanh approximation), tanh, ReLU, leaky ReLU, sigmoid.
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
    /// Vectorized (``FastMath``); the scalar twin `ActivationMath.gelu` is in the tests.
    public func gelu() -> Tensor {
        let out = Tensor.uninitialized(shape)
        Kernels.geluForward(storage.pointer, out.storage.pointer, count: count)
        return out.recorded("gelu", inputs: [self]) { [self] g in
            let dx = Tensor.uninitialized(shape)
            Kernels.geluBackward(storage.pointer, g.storage.pointer, dx.storage.pointer, count: count)
            accumulateGrad(dx)
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
    /// y = ½x(1 + erf(x/√2))
    static func geluForward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
        Threads.parallelFor(count, work: count * 8) { r in
            for i in r { y[i] = 0.5 * x[i] * (1 + FastMath.erf(x[i] * 0.70710678118654752)) }   // 1/√2
        }
    }

    /// dx = dy · (Φ(x) + x·φ(x)),  Φ(x) = ½(1 + erf(x/√2)),  φ(x) = e^(−x²/2)/√(2π)
    static func geluBackward(_ x: UnsafePointer<Float>, _ dy: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>, count: Int) {
        Threads.parallelFor(count, work: count * 12) { r in
            for i in r {
                let v = x[i]
                let cdf = 0.5 * (1 + FastMath.erf(v * 0.70710678118654752))   // 1/√2
                let pdf = FastMath.exp(-0.5 * v * v) * 0.39894228040143268     // 1/√(2π)
                dx[i] = dy[i] * (cdf + v * pdf)
            }
        }
    }
}

/// Scalar activation functions and their derivatives, shared by the ops and fused kernels.
public enum ActivationMath {
    static let invSqrt2: Float = 0.70710678118654752
    static let invSqrt2Pi: Float = 0.39894228040143268
    static let sqrt2OverPi: Float = 0.79788456080286536

    @inline(__always) public static func gelu(_ x: Float) -> Float {
        0.5 * x * (1 + Foundation.erff(x * invSqrt2))
    }

    @inline(__always) static func geluDerivative(_ x: Float) -> Float {
        0.5 * (1 + Foundation.erff(x * invSqrt2)) + x * invSqrt2Pi * Foundation.expf(-0.5 * x * x)
    }

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
