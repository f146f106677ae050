import Foundation

/// A model's answer for one input.
public struct Prediction: Sendable, Equatable {
    /// The raw outputs: one row for sequence tasks, one per word for tagging (nil: no token).
    public var logits: [[Float]?]
    /// Classification: the most probable label and every label's probability (softmax).
    /// Multi-label: the labels with probability > 0.5 and every label's probability (sigmoid).
    public var labels: [String]
    public var probabilities: [Float]
    /// Regression: the predicted value.
    public var value: Float?
}

extension Evaluator {
    /// Predictions for prepared inputs (labels, if any, are ignored).
    public func predict(_ data: PreparedData) throws -> [Prediction] {
        let names = model.head.labels
        return try outputs(data).map { rows in
            switch model.head.task {
            case .classification:
                let p = softmax(rows[0]!)
                return Prediction(logits: rows, labels: [names[argmax(p)]], probabilities: p)
            case .multiLabel:
                let p = rows[0]!.map { 1 / (1 + Foundation.exp(-$0)) }
                return Prediction(logits: rows, labels: zip(names, p).filter { $0.1 > 0.5 }.map(\.0), probabilities: p)
            case .regression:
                return Prediction(logits: rows, labels: [], probabilities: [], value: rows[0]![0])
            case .tagging:
                return Prediction(logits: rows, labels: rows.map { $0.map { names[argmax($0)] } ?? "_" }, probabilities: [])
            case .questionAnswering:
                // Per token of the window: start and end logits (answers: ``Evaluator/answers(_:)``).
                return Prediction(logits: rows, labels: [], probabilities: [])
            }
        }
    }
}

func softmax(_ x: [Float]) -> [Float] {
    let m = x.max() ?? 0
    let e = x.map { Foundation.exp($0 - m) }
    let s = e.reduce(0, +)
    return e.map { $0 / s }
}
