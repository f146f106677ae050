import Checkpoints
import Foundation
import Models

/// What the task heads need to know of each encoder family: the transformers class names, the
/// layout of the head transformers' `…ForSequenceClassification` puts on it, and how to write a
/// `config.json` that names the head.
extension EncoderConfig {
    /// The class-name stem: `Bert`, `Albert`, `DistilBert`, `Roberta`, `XLMRoberta`, `Electra`.
    public var classPrefix: String {
        switch self {
        case .bert: return "Bert"
        case .albert: return "Albert"
        case .distilBert: return "DistilBert"
        case .roberta(let c): return c.modelType == "xlm-roberta" ? "XLMRoberta" : "Roberta"
        case .electra: return "Electra"
        }
    }

    /// The most tokens a sequence may have: `max_position_embeddings`, less RoBERTa's padding offset.
    public var maxSequenceLength: Int {
        switch self {
        case .bert(let c): return c.maxPositionEmbeddings
        case .albert(let c): return c.base.maxPositionEmbeddings
        case .distilBert(let c): return c.maxPositionEmbeddings
        case .roberta(let c): return c.maxSequenceLength
        case .electra(let c): return c.base.maxPositionEmbeddings
        }
    }

    var initializerRange: Double {
        switch self {
        case .bert(let c): return c.initializerRange
        case .albert(let c): return c.base.initializerRange
        case .distilBert(let c): return c.initializerRange
        case .roberta(let c): return c.base.initializerRange
        case .electra(let c): return c.base.initializerRange
        }
    }

    /// The dropout transformers' classification heads use for this family.
    var classifierDropout: Double {
        switch self {
        case .bert(let c): return c.classifierDropout ?? c.hiddenDropoutProb
        case .albert(let c): return c.classifierDropoutProb ?? c.base.hiddenDropoutProb
        case .distilBert(let c): return c.seqClassifDropout
        case .roberta(let c): return c.base.classifierDropout ?? c.base.hiddenDropoutProb
        case .electra(let c): return c.base.classifierDropout ?? c.base.hiddenDropoutProb
        }
    }

    /// How `pooler` pooling maps onto this family's `…ForSequenceClassification` head.
    enum PoolerHead {
        /// The encoder's own pooler (dense + tanh on the first token), then `classifier` (BERT, ALBERT).
        case encoderPooler
        /// `pre_classifier` + ReLU on the first token, then `classifier` (DistilBERT).
        case preClassifier
        /// `classifier.dense` + an activation on the first token, then `classifier.out_proj` (RoBERTa, ELECTRA).
        case classificationHead(HiddenActivation)
    }

    var poolerHead: PoolerHead {
        switch self {
        case .bert, .albert: return .encoderPooler
        case .distilBert: return .preClassifier
        case .roberta: return .classificationHead(.tanh)
        case .electra: return .classificationHead(.gelu)
        }
    }

    /// The same configuration with `layers` encoder layers.
    func keepingLayers(_ layers: Int) -> EncoderConfig {
        switch self {
        case .bert(var c): c.numHiddenLayers = layers; return .bert(c)
        case .albert(var c): c.base.numHiddenLayers = layers; return .albert(c)
        case .distilBert(var c): c.nLayers = layers; return .distilBert(c)
        case .roberta(var c): c.base.numHiddenLayers = layers; return .roberta(c)
        case .electra(var c): c.base.numHiddenLayers = layers; return .electra(c)
        }
    }

    /// Writes `config.json` naming the head class, its labels and problem type.
    ///
    /// - Parameter run: the save's run id, kept as `bertkit_run` so a loader can tell this file
    ///   from another run's (transformers ignores the field).
    func write(to url: URL, architecture: String, labels: [String], problemType: String?, run: String? = nil) throws {
        let run: JSONValue? = run.map { .string($0) }
        let id2label = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($0.offset, $0.element) })
        let label2id = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($0.element, $0.offset) })
        func label(_ c: inout BertConfig) {
            c.architectures = [architecture]
            c.id2label = id2label
            c.label2id = label2id
            c.problemType = problemType
            c.otherFields[TransferModel.runKey] = run
        }
        switch self {
        case .bert(var c): label(&c); try c.write(to: url)
        case .albert(var c): label(&c.base); try c.write(to: url)
        case .roberta(var c): label(&c.base); try c.write(to: url)
        case .electra(var c): label(&c.base); try c.write(to: url)
        case .distilBert(var c):
            c.architectures = [architecture]
            c.otherFields["id2label"] = .object(Dictionary(uniqueKeysWithValues: id2label.map { (String($0.key), .string($0.value)) }))
            c.otherFields["label2id"] = .object(label2id.mapValues { .int($0) })
            c.otherFields["problem_type"] = problemType.map { .string($0) } ?? .null
            c.otherFields[TransferModel.runKey] = run
            try c.write(to: url)
        }
    }

    /// The labels of a transformers task folder (`id2label`), in id order.
    func savedLabels(file: URL) throws -> (labels: [String], architecture: String, problemType: String?) {
        let json = try JSONConfig(contentsOf: file)
        guard case .object(let map)? = json["id2label"] else {
            throw TransferError.invalidModelFolder(file, "no id2label, and no \(TransferModel.settingsFileName) beside it")
        }
        let labels = try map.keys.compactMap(Int.init).sorted().map { id -> String in
            guard case .string(let name)? = map[String(id)] else { throw TransferError.invalidModelFolder(file, "id2label[\(id)] is not a string") }
            return name
        }
        return (labels, (try json.stringsIfPresent("architectures"))?.first ?? "", try json.stringIfPresent("problem_type"))
    }
}

extension EncoderConfig.PoolerHead {
    var isClassificationHead: Bool {
        if case .classificationHead = self { return true }
        return false
    }
}
