import Checkpoints
import Foundation
import Models

/// What the model predicts.
public enum TaskKind: String, Sendable, Codable, CaseIterable {
    /// One label per text (softmax + cross-entropy).
    case classification
    /// One number per text (one output, mean squared error).
    case regression
    /// Any number of labels per text (sigmoid + binary cross-entropy).
    case multiLabel = "multi_label"
    /// One label per word (POS, NER): the first sub-word of each word carries it.
    case tagging
    /// Extractive question answering (SQuAD): a start and an end logit per token.
    case questionAnswering = "question_answering"

    /// Whether the head gives outputs per token (tagging, question answering), not per text.
    public var isPerToken: Bool { self == .tagging || self == .questionAnswering }
}

/// How a sequence head turns token vectors into one vector: the former name of ``Pooling``, kept
/// for source compatibility.
public typealias HeadPooling = Pooling

/// The activation of the optional hidden layer between pooling and the output layer: one of
/// ``Activation/headActivations``. The former name of that part of ``Activation``, kept for source
/// compatibility.
public typealias HiddenActivation = Activation

/// A head's settings; saved beside the model so that loading rebuilds the same head.
public struct HeadSettings: Sendable, Equatable, Codable {
    public var task: TaskKind
    /// Label names in id order (classification, multi-label, tagging); `["value"]` for regression.
    public var labels: [String]
    /// Pooling for sequence heads (ignored for tagging).
    public var pooling: Pooling
    /// Dropout before the output layer; nil uses the encoder's `hidden_dropout_prob`.
    public var dropout: Double?
    /// Width of an optional hidden Dense layer before the output layer.
    public var hiddenSize: Int?
    public var hiddenActivation: HiddenActivation
    /// Slope of the leaky ReLU hidden activation.
    public var leakySlope: Double
    /// Which hidden states feed the head.
    public var features: FeatureSource
    /// Question answering: tokens shared by consecutive windows of a long context (`--doc-stride`).
    public var docStride: Int?

    public init(task: TaskKind, labels: [String], pooling: Pooling = .mean, dropout: Double? = nil,
                hiddenSize: Int? = nil, hiddenActivation: HiddenActivation = .relu, leakySlope: Double = 0.01,
                features: FeatureSource = .last) {
        self.task = task
        self.labels = task == .regression ? ["value"] : task == .questionAnswering ? ["start", "end"] : labels
        self.pooling = pooling
        self.dropout = dropout
        self.hiddenSize = hiddenSize
        self.hiddenActivation = hiddenActivation
        self.leakySlope = leakySlope
        self.features = features
        if task == .questionAnswering { docStride = 128 }
    }

    /// The number of outputs.
    public var outputs: Int { task == .regression ? 1 : labels.count }

    /// Whether the encoder needs its pooler.
    public var usesPooler: Bool { !task.isPerToken && pooling == .pooler }

    /// Checks the settings against an encoder with `layers` layers.
    public func validate(layers: Int) throws(TransferError) {
        if task != .regression && labels.count < (task == .multiLabel ? 1 : 2) {
            throw .invalidSetting("a \(task.rawValue) head needs at least \(task == .multiLabel ? 1 : 2) labels, got \(labels.count)")
        }
        if usesPooler && features != .last {
            throw .invalidSetting("pooler pooling reads the last layer; --features \(features) needs cls, mean or max pooling")
        }
        for i in features.indices(layers: layers) where i < 0 || i > layers {
            throw .invalidSetting("--features \(features) needs hidden states \(features.indices(layers: layers)), but the encoder has 0…\(layers)")
        }
        if !Activation.headActivations.contains(hiddenActivation) {
            throw .invalidSetting("a head's hidden activation is one of \(Activation.headActivations.map(\.rawValue).joined(separator: ", ")), got \(hiddenActivation.rawValue)")
        }
        if task == .questionAnswering && hiddenSize != nil {
            throw .invalidSetting("a question-answering head is transformers' qa_outputs, one Dense layer: drop --hidden")
        }
        if let hiddenSize, hiddenSize <= 0 { throw .invalidSetting("hidden layer size must be positive, got \(hiddenSize)") }
        if let dropout, !(0..<1).contains(dropout) { throw .invalidSetting("dropout must be in [0, 1), got \(dropout)") }
    }
}
