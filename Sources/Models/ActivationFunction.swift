import Checkpoints
import Tensor

extension Activation {
    /// Applies this `hidden_act` to a tensor.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        switch self {
        case .gelu: return x.gelu()
        case .geluNew, .geluPyTorchTanh: return x.geluTanh()
        case .relu: return x.relu()
        case .tanh: return x.tanh()
        case .silu: return x * x.sigmoid()
        }
    }
}
