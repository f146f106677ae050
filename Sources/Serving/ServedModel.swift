import BertKit
import Foundation
import Synchronization

/// What one batch item asks for; batches hold one kind only (the ``BatchQueue`` group).
public enum WorkKind: Int, Sendable {
    case embed = 0
    case predict = 1
    /// Question answering: start and end logits of every token of a window.
    case answer = 2
}

/// One item's answer from the worker.
public enum WorkOutput: Sendable {
    /// The pooled vector, not normalized (each request normalizes as it asks).
    case vector([Float])
    case prediction(Prediction)
}

/// The models a server answers with, loaded once.
///
/// Only the ``BatchQueue`` worker thread calls ``run(_:kind:)``; the tokenizers and the settings
/// read by request handlers are immutable values.
public final class ServedModel: Sendable {
    /// The name given on the command line (a Hugging Face id or a folder).
    public let id: String
    /// `model_type` of the encoder (bert, roberta, …).
    public let family: String
    /// Length of an embedding.
    public let dimension: Int
    /// Longer inputs are refused or truncated (special tokens included).
    public let maxLength: Int
    /// Whether the model's own settings normalize embeddings (sentence-transformers' Normalize).
    public let normalizesByDefault: Bool
    /// Token ids a client sends must be below this.
    public let vocabularySize: Int
    /// The embedding model's tokenizer, without truncation or padding.
    public let tokenizer: Tokenizer
    /// Labels of the classification head, when the folder was trained by `bertkit train`.
    public let labels: [String]?
    public let task: TaskKind?
    /// The classifier's tokenizer and max length (its folder's own).
    public let classifierTokenizer: Tokenizer?
    public let classifierMaxLength: Int?
    /// A question-answering head's doc stride (how `/answer` cuts contexts into windows); nil for other heads.
    public let docStride: Int?

    /// The encoder and the classifier (reference types), behind a lock the one worker never waits for.
    private let models: Mutex<(embedder: SentenceEmbedder, classifier: TransferModel?)>

    /// Loads a sentence embedding model (a folder or a cached Hugging Face id) and, when the folder
    /// was written by `bertkit train` (or is a transformers `…ForSequenceClassification` folder),
    /// its classification head for `/predict`, the way `bertkit predict` does.
    ///
    /// With `adapter` (a PEFT LoRA adapter folder), the model is its base: embeddings come from the
    /// encoder with the adapters on, and `/predict` from the adapter's head when it has one.
    public init(model idOrPath: String, revision: String? = nil, adapter: URL? = nil, batchSize: Int = 64) throws {
        id = idOrPath
        let folder = try ModelLocation.resolve(idOrPath, revision: revision)
        let classifier: TransferModel?
        if let adapter {
            let (transfer, maxLength) = try TransferModel.load(base: idOrPath, revision: revision, adapter: adapter)
            classifier = transfer
            labels = transfer.head.labels
            task = transfer.head.task
            classifierTokenizer = try Tokenizer.load(directory: LoRAAdapter.tokenizerFolder(adapter: adapter, base: folder.path))
            classifierMaxLength = maxLength
        } else if Self.isTrained(folder) {
            let (transfer, maxLength) = try TransferModel.load(folder)
            classifier = transfer
            labels = transfer.head.labels
            task = transfer.head.task
            classifierTokenizer = try Tokenizer.load(directory: folder)
            classifierMaxLength = maxLength
        } else {
            classifier = nil
            labels = nil
            task = nil
            classifierTokenizer = nil
            classifierMaxLength = nil
        }
        var embedder = try SentenceEmbedder(model: folder.path, batchSize: batchSize)
        if let adapter { try embedder.attachAdapter(adapter) }
        normalizesByDefault = embedder.normalize
        embedder.normalize = false
        family = try EncoderConfig(contentsOf: folder.appending(path: "config.json")).modelType
        dimension = embedder.model.hiddenSize
        maxLength = embedder.maxLength
        var t = embedder.tokenizer
        t.truncation = nil
        t.padding = nil
        tokenizer = t
        vocabularySize = embedder.model.store.parameters.first { $0.name.hasSuffix("word_embeddings.weight") }?.shape[0] ?? Int(Int32.max)
        docStride = classifier.flatMap { $0.head.task == .questionAnswering ? $0.head.docStride ?? 128 : nil }
        models = Mutex((embedder, classifier))
    }

    /// A folder `bertkit train` wrote, or a transformers sequence-classification folder.
    static func isTrained(_ folder: URL) -> Bool {
        if FileManager.default.fileExists(atPath: folder.appending(path: TransferModel.settingsFileName).path) { return true }
        guard let data = try? Data(contentsOf: folder.appending(path: "config.json")),
              let architectures = (try? JSONValue.parse(data))?.objectValue?["architectures"]?.arrayValue else { return false }
        return architectures.contains { $0.stringValue.map { $0.hasSuffix("ForSequenceClassification") || $0.hasSuffix("ForQuestionAnswering") } == true }
    }

    public var canPredict: Bool { classifierTokenizer != nil && !(task?.isPerToken ?? false) }

    /// Runs one batch (the worker thread only). Classification runs it in length-sorted pieces
    /// of at most `maxBatchTokens` padded tokens, as embedding does in pieces of `batchSize`.
    public func run(_ items: [Encoding], kind: WorkKind, maxBatchTokens: Int = 8192) throws -> [WorkOutput] {
        try models.withLock { models throws -> [WorkOutput] in
            switch kind {
            case .embed:
                return try models.embedder.embed(encodings: items).map { .vector($0) }
            case .predict, .answer:
                guard let classifier = models.classifier, let classifierTokenizer else { return [] }
                let data = PreparedData.unlabelled(encodings: items, padId: classifierTokenizer.padTokenId ?? 0)
                let longest = items.map(\.count).max() ?? 1
                return try Evaluator(model: classifier, batchSize: max(maxBatchTokens / max(longest, 1), 1)).predict(data).map { .prediction($0) }
            }
        }
    }
}

/// `v / max(‖v‖, 1e-12)`, as torch's `F.normalize` and sentence-transformers' Normalize.
func l2Normalized(_ v: [Float]) -> [Float] {
    var s: Float = 0
    for x in v { s += x * x }
    let n = max(s.squareRoot(), 1e-12)
    return v.map { $0 / n }
}
