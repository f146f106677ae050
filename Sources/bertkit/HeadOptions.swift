import ArgumentParser
import BertKit
import Foundation

extension TaskKind: ExpressibleByArgument {
    public init?(argument: String) {
        switch argument {
        case "classify", "classification": self = .classification
        case "regress", "regression": self = .regression
        case "multilabel", "multi-label", "multi_label": self = .multiLabel
        case "tag", "tagging": self = .tagging
        case "qa", "question-answering", "question_answering": self = .questionAnswering
        default: return nil
        }
    }
    public static var allValueStrings: [String] { ["classify", "regress", "multilabel", "tag", "qa"] }
}

extension Pooling: ExpressibleByArgument {}
extension Activation: ExpressibleByArgument {
    /// A head's hidden activation: ``Activation/headActivations`` only.
    public init?(argument: String) {
        guard let activation = Activation(rawValue: argument), Activation.headActivations.contains(activation) else { return nil }
        self = activation
    }
    public static var allValueStrings: [String] { headActivations.map(\.rawValue) }
}

/// `--task`: a head's task, or `embedding` (`train` only: a sentence embedder, no head).
enum TaskChoice: ExpressibleByArgument, Equatable {
    case head(TaskKind)
    case embedding

    init?(argument: String) {
        if argument == "embedding" { self = .embedding } else if let task = TaskKind(argument: argument) { self = .head(task) } else { return nil }
    }
    static var allValueStrings: [String] { TaskKind.allValueStrings + ["embedding"] }
}

/// The transfer mode and head, shared by `summary` and `train`.
struct HeadOptions: ParsableArguments {
    @Option(name: .customLong("task"), help: "classify, regress, multilabel, tag, qa (extractive question answering, SQuAD), or embedding (train: a sentence embedder from pairs).")
    var taskChoice: TaskChoice?
    /// The head's task; nil with no --task or with --task embedding.
    var task: TaskKind? { if case .head(let task)? = taskChoice { task } else { nil } }
    @Option(help: "frozen (feature extraction), finetune, lora (LoRA adapters on a frozen encoder), layers:K (extract layers, fine-tuned) or layers:K:frozen.")
    var mode: String = "finetune"
    @Option(help: "LoRA: rank of the adapters.") var loraRank = 8
    @Option(help: "LoRA: alpha (the update is scaled by alpha / rank).") var loraAlpha = 16.0
    @Option(help: "LoRA: dropout on the adapters' input.") var loraDropout = 0.1
    @Option(help: "LoRA: comma-separated names of the dense layers to adapt, matched as PEFT's target_modules (default: the attention query and value projections, e.g. query,value).")
    var loraTargets: String?
    @Option(name: .customLong("pooling"), help: "Sequence pooling: cls, mean, max or pooler (BERT's dense+tanh on [CLS]); default mean (embedding: the model's sentence-transformers pooling, else mean).")
    var poolingChoice: Pooling?
    var pooling: Pooling { poolingChoice ?? .mean }
    @Option(help: "Features: last, second-to-last, sum-last-4, concat-last-4 or layer:K.") var features: String = "last"
    @Option(help: "Add a hidden Dense layer of this size before the output layer.") var hidden: Int?
    @Option(help: "Activation of the hidden layer: relu, gelu, leaky_relu or tanh.") var activation: HiddenActivation = .relu
    @Option(help: "Dropout before the output layer (default: the model's hidden_dropout_prob).") var dropout: Double?
    @Option(help: "Freeze the embeddings and the lowest N encoder layers.") var freezeLayers: Int?
    @Option(help: "Freeze parameters whose name starts with this prefix (repeatable), e.g. bert.encoder.layer.0.")
    var freeze: [String] = []
    @Option(help: "Question answering: tokens shared by consecutive windows of a context longer than --max-length.") var docStride = 128

    func transferMode() throws -> TransferMode { try TransferMode(parsing: mode) }

    /// The LoRA settings in `lora` mode (nil otherwise), checked.
    func loraSettings() throws -> LoRASettings? {
        guard try transferMode() == .lora else { return nil }
        let targets = loraTargets.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        let settings = LoRASettings(rank: loraRank, alpha: loraAlpha, dropout: loraDropout, targets: targets)
        try settings.validate()
        return settings
    }
    func freezeSpec() -> FreezeSpec { FreezeSpec(lowestLayers: freezeLayers, prefixes: freeze) }

    func head(task: TaskKind, labels: [String]) throws -> HeadSettings {
        var settings = HeadSettings(task: task, labels: labels, pooling: pooling, dropout: dropout, hiddenSize: hidden,
                                    hiddenActivation: activation, features: try FeatureSource(parsing: features))
        if task == .questionAnswering { settings.docStride = docStride }
        return settings
    }
}
