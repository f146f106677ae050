// The PyTorch reference for the optimizer tests (Fixtures/optim.json, written by
// scripts/fixtures/optim_fixtures.py), and helpers to build parameters and set their gradients.
import Foundation
import Layers
import Tensor
import TestSupport
import XCTest

struct OptimFixture: Decodable {
    struct ParameterSpec: Decodable {
        let name: String
        let shape: [Int]
        let trainable: Bool
        let decay: Bool
        let initial: [Double]
    }

    struct Step: Decodable {
        let grads: [String: [Double]]
        let gradNorm: Double
        let lr: Double
        let after: [String: [Double]]

        enum CodingKeys: String, CodingKey {
            case grads, lr, after
            case gradNorm = "grad_norm"
        }
    }

    struct FinalState: Decodable {
        let step: Int
        let expAvg: [Double]
        let expAvgSq: [Double]

        enum CodingKeys: String, CodingKey {
            case step
            case expAvg = "exp_avg"
            case expAvgSq = "exp_avg_sq"
        }
    }

    struct AdamWCase: Decodable {
        let lr: Double
        let betas: [Double]
        let eps: Double
        let weightDecay: Double
        let warmupSteps: Int
        let totalSteps: Int
        let maxNorm: Double
        let parameters: [ParameterSpec]
        let steps: [Step]
        let finalState: [String: FinalState]

        enum CodingKeys: String, CodingKey {
            case lr, betas, eps, parameters, steps
            case weightDecay = "weight_decay"
            case warmupSteps = "warmup_steps"
            case totalSteps = "total_steps"
            case maxNorm = "max_norm"
            case finalState = "final_state"
        }
    }

    struct Schedule: Decodable {
        let kind: String
        let peak: Double
        let warmup: Int
        let total: Int
        let cycles: Double
        let lrs: [Double]
    }

    let torch: String
    let adamw: AdamWCase
    let schedules: [Schedule]

    static func load() throws -> OptimFixture {
        let url = TestPaths.packageRoot.appendingPathComponent("Tests/LayersTests/Fixtures/optim.json")
        return try JSONDecoder().decode(OptimFixture.self, from: Data(contentsOf: url))
    }
}

extension Array where Element == Double {
    /// The float32 values the fixture wrote as doubles (exactly representable).
    var floats: [Float] { map { Float($0) } }
}

/// A parameter `name` (dotted) with `values`, registered in `store`.
func makeParameter(_ store: ParameterStore, _ name: String, shape: [Int], values: [Float]? = nil) -> Parameter {
    var segments = name.split(separator: ".").map(String.init)
    let last = segments.removeLast()
    let path = segments.reduce(store.root) { $0[$1] }
    let parameter = path.parameter(last, shape: shape, initializer: .zeros)
    if let values { parameter.value.assign(Tensor(shape: shape, scalars: values)) }
    return parameter
}

/// Gives `parameter` exactly the gradient `values`, through backward of Σ p ⊙ c (d/dp = c, bit for bit).
func setGradient(_ parameter: Parameter, _ values: [Float]) {
    parameter.value.zeroGrad()
    addGradient(parameter, values)
}

/// Adds `values` to the gradient of `parameter`, as one more backward pass would.
func addGradient(_ parameter: Parameter, _ values: [Float]) {
    (parameter.value * Tensor(shape: parameter.shape, scalars: values)).sum().backward()
}
