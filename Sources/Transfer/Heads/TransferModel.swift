import Checkpoints
import Foundation
import Layers
import Models
import Tensor

/// A pretrained encoder with a task head, arranged as transformers' `…For…` classes so that the
/// weights save under their key names: the encoder under its family's prefix (`bert.`, `roberta.`,
/// …), the output layer as `classifier`, an optional hidden layer as `pre_classifier`; with
/// `pooler` pooling, the family's own classification head (`classifier.dense` + `classifier.out_proj`
/// for RoBERTa and ELECTRA, `pre_classifier` + ReLU for DistilBERT, the encoder's pooler for BERT
/// and ALBERT).
///
/// ```swift
/// let model = try TransferModel.pretrained("sentence-transformers/all-MiniLM-L6-v2",
///     head: HeadSettings(task: .classification, labels: ["negative", "positive"]), mode: .featureExtraction)
/// print(model.summary())
/// ```
public final class TransferModel {
    /// The encoder's configuration (with extract-layers, the number of layers kept).
    public let config: EncoderConfig
    public let head: HeadSettings
    public let mode: TransferMode
    public let freeze: FreezeSpec
    public let store: ParameterStore
    public let encoder: EncoderModel
    public let preClassifier: Linear?
    public let classifier: Linear
    let dropout: Dropout
    /// The activation after `preClassifier`.
    let hiddenActivation: HiddenActivation
    /// Whether `pooler` pooling reads the encoder's pooler (else the first token's vector).
    let readsEncoderPooler: Bool
    /// The LoRA settings of the attached adapters (``attachAdapters(_:)``), if any.
    public internal(set) var lora: LoRASettings?

    /// Builds the model with a randomly initialised encoder and head.
    ///
    /// `config` is the pretrained encoder's; with `extractLayers(K)` only K layers are built.
    public convenience init(config: BertConfig, head: HeadSettings, mode: TransferMode, freeze: FreezeSpec = FreezeSpec(), seed: UInt64 = 0) throws(TransferError) {
        try self.init(config: .bert(config), head: head, mode: mode, freeze: freeze, seed: seed, deferInitialization: false)
    }

    /// Builds the model for any encoder family with a randomly initialised encoder and head.
    public convenience init(config: EncoderConfig, head: HeadSettings, mode: TransferMode, freeze: FreezeSpec = FreezeSpec(), seed: UInt64 = 0) throws(TransferError) {
        try self.init(config: config, head: head, mode: mode, freeze: freeze, seed: seed, deferInitialization: false)
    }

    /// With `deferInitialization`, parameters wait for ``ParameterStore/initializePending()``
    /// (after a checkpoint is loaded) before drawing random values.
    ///
    /// With `weights`, parameters under `under` are allocated only when the checkpoint confirms
    /// their shapes (``ParameterStore/allocateOnlyWhatMatches(_:under:keyPrefixes:)``).
    init(config: EncoderConfig, head: HeadSettings, mode: TransferMode, freeze: FreezeSpec, seed: UInt64, deferInitialization: Bool,
         weights: (source: any WeightSource, under: String, keyPrefixes: [String])? = nil) throws(TransferError) {
        let layers = min(mode.keptLayers ?? config.numHiddenLayers, config.numHiddenLayers)
        if let k = mode.keptLayers, k > config.numHiddenLayers {
            throw .invalidSetting("layers:\(k) asks for more layers than the model's \(config.numHiddenLayers)")
        }
        try head.validate(layers: layers)
        if let n = freeze.lowestLayers, n > layers {
            throw .invalidSetting("cannot freeze the lowest \(n) layers of an encoder with \(layers)")
        }
        if head.hiddenSize != nil && head.usesPooler && config.poolerHead.isClassificationHead {
            throw .invalidSetting("\(config.classPrefix) pooler pooling already has its hidden layer (classifier.dense); drop --hidden")
        }
        let kept = config.keepingLayers(layers)
        self.config = kept
        self.head = head
        self.mode = mode
        self.freeze = freeze
        store = ParameterStore(seed: seed)
        store.defersInitialization = deferInitialization
        if let weights { store.allocateOnlyWhatMatches(weights.source, under: weights.under, keyPrefixes: weights.keyPrefixes) }
        let root = store.root
        var readsPooler = false, activation = head.hiddenActivation
        var hiddenLayer: (path: WeightPath, size: Int)? = head.hiddenSize.map { (root["pre_classifier"], $0) }
        var outputPath = root[head.task == .questionAnswering ? "qa_outputs" : "classifier"]
        if head.usesPooler {
            switch kept.poolerHead {
            case .encoderPooler: readsPooler = true
            case .preClassifier:
                hiddenLayer = hiddenLayer ?? (root["pre_classifier"], kept.hiddenSize)
                activation = .relu
            case .classificationHead(let a):
                hiddenLayer = (root["classifier"]["dense"], kept.hiddenSize)
                outputPath = root["classifier"]["out_proj"]
                activation = a
            }
        }
        readsEncoderPooler = readsPooler
        hiddenActivation = activation
        encoder = kept.makeModel(path: root[kept.baseModelPrefix], pooler: readsPooler)
        let std = Float(kept.initializerRange)
        var width = head.features.width(hidden: kept.hiddenSize)
        if let (path, size) = hiddenLayer {
            preClassifier = Linear(path, inFeatures: width, outFeatures: size, std: std)
            width = size
        } else {
            preClassifier = nil
        }
        classifier = Linear(outputPath, inFeatures: width, outFeatures: head.outputs, std: std)
        // transformers' …ForQuestionAnswering has no dropout before qa_outputs.
        dropout = Dropout(probability: Float(head.dropout ?? (head.task == .questionAnswering ? 0 : kept.classifierDropout)))
        applyTrainability()
    }

    /// The encoder's prefix in the store (`bert.`, `roberta.`, …).
    public var encoderPrefix: String { config.baseModelPrefix + "." }

    /// A model whose encoder comes from a pretrained folder or cached Hugging Face id.
    ///
    /// In `lora` mode, adapters are attached after the pretrained weights are loaded, with
    /// `lora` (``LoRASettings``'s defaults when nil).
    public static func pretrained(_ idOrPath: String, revision: String? = nil, head: HeadSettings, mode: TransferMode,
                                  freeze: FreezeSpec = FreezeSpec(), lora: LoRASettings? = nil, seed: UInt64 = 0) throws -> TransferModel {
        let folder = try ModelLocation.resolve(idOrPath, revision: revision)
        let config = try EncoderConfig(contentsOf: folder.appending(path: "config.json"))
        let weights = try Checkpoint.open(folder)
        let prefix = config.baseModelPrefix + "."
        let model = try TransferModel(config: config, head: head, mode: mode, freeze: freeze, seed: seed, deferInitialization: true,
                                      weights: (weights, prefix, ["", prefix]))
        try model.store.load(from: weights, under: model.encoderPrefix, keyPrefixes: ["", model.encoderPrefix])
        model.store.initializePending()
        if mode == .lora { try model.attachAdapters(lora ?? LoRASettings()) }
        return model
    }

    /// Sets `trainable` from the mode and the freeze spec.
    func applyTrainability() {
        store.setTrainable(true)
        if mode == .lora { applyLoRATrainability() }
        else if !mode.trainsEncoder { store.setTrainable(false, under: encoderPrefix) }
        if let n = freeze.lowestLayers {
            for prefix in encoder.prefixes(ofLowestLayers: n) { store.setTrainable(false, under: prefix) }
        }
        for prefix in freeze.prefixes { store.setTrainable(false, under: prefix) }
    }

    /// Whether the encoder has no trainable parameter: then its output is the same every epoch
    /// (it runs in eval mode) and can be computed once.
    public var encoderIsFrozen: Bool { !store.parameters(under: encoderPrefix).contains { $0.trainable } }

    // MARK: Forward

    /// The head's input: `[batch, features]` for sequence tasks, `[batch, seq, features]` for tagging.
    /// A frozen encoder runs in eval mode (no dropout) even while the head trains. The encoder
    /// skips padding (``EncoderInput/skipsPadding``): pooling and tagging never read those rows.
    public func features(_ input: EncoderInput, context: ForwardContext) throws(ModelError) -> Tensor {
        var input = input
        input.skipsPadding = true
        var encoding = encoderIsFrozen ? context.evaluating : context
        encoding.outputsHiddenStates = head.features != .last
        let indices = head.features.indices(layers: config.numHiddenLayers)
        let output = try encoder(input, context: encoding)
        var hidden: Tensor
        switch head.features {
        case .last: hidden = output.lastHiddenState
        case .sumLastFour: hidden = indices.dropFirst().reduce(output.hiddenStates![indices[0]]) { $0 + output.hiddenStates![$1] }
        case .concatLastFour: hidden = Tensor.concat(indices.map { output.hiddenStates![$0] }, axis: 2)
        default: hidden = output.hiddenStates![indices[0]]
        }
        if head.task.isPerToken { return hidden }
        return context.run { head.pooling(hidden, mask: input.maskTensor, poolerOutput: readsEncoderPooler ? output.poolerOutput : nil) }
    }

    /// Logits from head inputs: dropout, the optional hidden layer, then the output layer.
    public func logits(features: Tensor, context: ForwardContext) -> Tensor {
        context.run {
            var x = dropout(features, context)
            if let preClassifier {
                x = preClassifier(x, context)
                x = hiddenActivation(x, leakySlope: Float(head.leakySlope))
            }
            return classifier(x, context)
        }
    }

    /// Logits for a batch: `[batch, outputs]`, or `[batch, seq, outputs]` for tagging.
    public func logits(_ input: EncoderInput, context: ForwardContext) throws(ModelError) -> Tensor {
        logits(features: try features(input, context: context), context: context)
    }

    /// The training loss of `logits` against `targets`.
    public func loss(logits: Tensor, targets: Targets) -> Tensor {
        switch targets {
        case .classes(let ids):
            let flat = logits.rank == 3 ? logits.reshaped([-1, head.outputs]) : logits
            return flat.crossEntropy(targets: ids)
        case .values(let values):
            return logits.mseLoss(targets: values)
        case .multiHot(let values):
            return logits.binaryCrossEntropyWithLogits(targets: values)
        case .spans(let positions, let lengths):
            // [batch, seq, 2] → [batch · 2, seq]: rows start₀, end₀, start₁, …; their mean is
            // (start loss + end loss) / 2, as transformers' …ForQuestionAnswering computes it.
            let seq = logits.shape[1]
            precondition(lengths.count == logits.shape[0] && lengths.allSatisfy { (1...seq).contains($0) },
                         "span targets' window lengths \(lengths) for logits \(logits.shape)")
            // Each window's softmax runs over its own tokens: one mask row per window, for its start
            // and end rows. (transformers' runs over the padded batch; see ``Targets/spans(_:lengths:)``.)
            let mask = lengths.contains { $0 < seq } ? Tensor(shape: [lengths.count, seq], scalars: lengths.flatMap { n in
                (0..<seq).map { $0 < n ? 0 : -Float.greatestFiniteMagnitude }
            }) : nil
            return logits.permuted([0, 2, 1]).reshaped([-1, seq]).crossEntropy(targets: positions, mask: mask)
        }
    }
}

/// What a batch is trained against.
public enum Targets {
    /// Class ids: one per example, or one per token with −100 where there is no label.
    case classes(IDTensor)
    /// Regression targets `[batch, 1]`.
    case values(Tensor)
    /// Multi-label 0/1 targets `[batch, labels]`.
    case multiHot(Tensor)
    /// Question answering: per example its answer's start then end token, `[batch · 2]`, and
    /// its window's length in tokens (the positions the softmax runs over).
    ///
    /// Padding never competes for the answer: a window's loss is the same however long the batch
    /// is padded. transformers' cross-entropy runs over every position of the padded batch, with
    /// the logits the encoder gives padding; computing those would run the encoder, which skips
    /// padding, on 1.7× the tokens in SQuAD's batches (docs/benchmarks.md, figure 9), and leaving
    /// padding at the output layer's bias, as BertKit once did, scored 5.4 F1 points lower on
    /// SQuAD (docs/accuracy.md).
    case spans(IDTensor, lengths: [Int])
}
