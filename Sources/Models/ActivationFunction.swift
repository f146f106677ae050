import Checkpoints
import Layers
import Tensor

extension Activation {
    /// Applies this activation to a tensor; ``leakyRelu`` with `leakySlope`.
    public func callAsFunction(_ x: Tensor, leakySlope: Float = 0.01) -> Tensor {
        switch self {
        case .gelu: return x.gelu()
        case .geluNew, .geluPyTorchTanh: return x.geluTanh()
        case .relu: return x.relu()
        case .tanh: return x.tanh()
        case .leakyRelu: return x.leakyRelu(slope: leakySlope)
        case .silu: return x * x.sigmoid()
        }
    }

    /// `self(dense(x))`. Exact GELU takes the dense layer's bias into its own pass
    /// (``Tensor/gelu(addingBias:)``) instead of the product writing it first.
    public func callAsFunction(_ dense: Linear, _ x: Tensor, _ context: ForwardContext) -> Tensor {
        guard self == .gelu else { return self(dense(x, context)) }
        return dense.product(x, context).gelu(addingBias: dense.bias?.value)
    }
}
