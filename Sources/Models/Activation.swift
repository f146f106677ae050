import Checkpoints
import Layers
import Tensor

/// The activation functions of BertKit's layers, by their transformers names: those a model's
/// feed-forward layers may use (`hidden_act` in `config.json`), and those of a task head's hidden
/// layer (``headActivations``).
public enum Activation: String, Sendable, Codable, CaseIterable {
    /// GELU with the exact Gaussian CDF: x · Φ(x) = x/2 · (1 + erf(x/√2)). BERT's default.
    case gelu
    /// GELU, tanh approximation: x/2 · (1 + tanh(√(2/π) · (x + 0.044715 x³))). ALBERT's default.
    case geluNew = "gelu_new"
    /// The same tanh approximation as ``geluNew``, as PyTorch names it.
    case geluPyTorchTanh = "gelu_pytorch_tanh"
    /// max(0, x).
    case relu
    /// x · sigmoid(x), also called swish.
    case silu
    /// tanh(x).
    case tanh
    /// x for x > 0, else slope · x. A task head's hidden layer only, with the head's slope; not a
    /// `hidden_act` value BertKit reads.
    case leakyRelu = "leaky_relu"

    /// The activations a task head's hidden layer offers (`--activation`).
    public static let headActivations: [Activation] = [.relu, .gelu, .tanh, .leakyRelu]

    /// The activation for a `hidden_act` value, accepting transformers' alias `swish` for ``silu``;
    /// `nil` when unsupported.
    public init?(configValue: String) {
        if configValue == "swish" {
            self = .silu
        } else {
            guard configValue != Activation.leakyRelu.rawValue else { return nil }
            self.init(rawValue: configValue)
        }
    }

    /// The supported `hidden_act` values, for messages.
    public static var supportedNames: [String] { allCases.filter { $0 != .leakyRelu }.map(\.rawValue) + ["swish"] }
}

extension JSONConfig {
    /// The activation named at `key` (transformers' spelling), or `default` when absent.
    ///
    /// - Throws: ``CheckpointError`` naming the file and key when the name is not one BertKit runs,
    ///   with the supported names.
    func activation(_ key: String, default defaultValue: Activation) throws(CheckpointError) -> Activation {
        let name = try string(key, default: defaultValue.rawValue)
        guard let activation = Activation(configValue: name) else {
            throw error(key, .invalidValue(
                "unsupported activation \"\(name)\"; supported: \(Activation.supportedNames.joined(separator: ", "))"))
        }
        return activation
    }
}

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
