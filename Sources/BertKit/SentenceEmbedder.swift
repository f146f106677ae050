import Checkpoints
import Foundation
import Models
import Tensor
import Tokenizers
import Transfer

/// Sentence embeddings: tokenize, run the encoder in batches of similar length, pool, and
/// optionally normalise, as sentence-transformers' `encode` does.
///
/// ```swift
/// let embedder = try SentenceEmbedder(model: "sentence-transformers/all-MiniLM-L6-v2")
/// let vectors = try embedder.embed(["A cat sits.", "A dog runs."])   // 2 × 384, unit length
/// ```
public struct SentenceEmbedder {
    /// The encoder.
    public let model: EncoderModel
    /// The model's tokenizer; ``encode(_:)`` adds truncation to ``maxLength``.
    public var tokenizer: Tokenizer
    /// How ``embed(_:progress:)`` turns token vectors into one vector (``embedTokens(_:progress:)`` keeps them all).
    public var pooling: Pooling
    /// Whether sentence vectors are scaled to unit length (a `Normalize` module in the model's files).
    public var normalize: Bool
    /// Which hidden state to read: 0 is the embeddings output; `nil` the last layer.
    public var layer: Int?
    public var batchSize: Int
    /// Longer inputs are truncated to this many tokens (special tokens included).
    public var maxLength: Int
    /// The dense layers' precision (``Precision``); `nil` follows ``Precision/current``.
    public var precision: Precision?

    /// Loads a model folder or cached Hugging Face id with the defaults its files declare:
    /// sentence-transformers' pooling, normalisation and `max_seq_length` when present, else
    /// `cls` pooling, no normalisation and `max_position_embeddings`.
    public init(model idOrPath: String, revision: String? = nil, batchSize: Int = 32) throws {
        let folder = try ModelLocation.resolve(idOrPath, revision: revision)
        let settings = try SentenceTransformerConfig.load(from: folder)
        model = try AutoModel.load(folder: folder)
        tokenizer = try Tokenizer.load(directory: folder)
        pooling = Pooling.default(for: settings)
        normalize = settings?.normalize ?? false
        maxLength = min(settings?.maxSeqLength ?? model.maxPositionEmbeddings, model.maxPositionEmbeddings)
        layer = nil
        self.batchSize = batchSize
    }

    /// Puts a PEFT LoRA adapter folder's adapters on the encoder (unmerged: one extra low-rank
    /// product per adapted layer). Keys of a task head in the adapter (a classifier) are skipped.
    public func attachAdapter(_ folder: URL) throws {
        let adapter = try LoRAAdapter(folder: folder)
        try adapter.attach(to: model, defaultTargets: ["query", "value"], ignoringOtherKeys: true)
    }

    /// Encodes each text with truncation to ``maxLength``.
    public func encode(_ texts: [String]) -> [Encoding] {
        var t = tokenizer
        t.truncation = Truncation(maxLength: maxLength)
        t.padding = nil
        return t.encodeBatch(texts)
    }

    /// Runs `body` over batches of inputs sorted by length (no padding is wasted), and returns
    /// its results in the original order. `progress` is called with the number of texts done.
    func batched<R>(_ encodings: [Encoding], progress: ((Int) -> Void)?, _ body: ([Encoding], EncoderOutput, Tensor) -> [R]) throws -> [R] {
        if let layer, !(0...model.layerCount).contains(layer) {
            throw ModelError.noSuchLayer(requested: layer, available: model.layerCount)
        }
        var results = [R?](repeating: nil, count: encodings.count)
        var done = 0
        for indices in lengthSortedBatches(encodings.map(\.count), size: batchSize) {
            let batch = indices.map { encodings[$0] }
            var input = EncoderInput(encodings: batch, padId: tokenizer.padTokenId ?? 0)
            input.skipsPadding = true   // pooling and per-token results read real tokens only
            let context = ForwardContext(precision: precision ?? Precision.current, outputsHiddenStates: layer != nil)
            let output = try model(input, context: context)
            for (i, r) in zip(indices, body(batch, output, input.maskTensor)) { results[i] = r }
            done += indices.count
            progress?(done)
        }
        return results.map { $0! }
    }

    /// The hidden state ``layer`` asks for (checked by `batched`).
    func hidden(_ output: EncoderOutput) -> Tensor {
        guard let layer, let states = output.hiddenStates else { return output.lastHiddenState }
        return states[layer]
    }

    /// One vector per text.
    public func embed(_ texts: [String], progress: ((Int) -> Void)? = nil) throws -> [[Float]] {
        try embed(encodings: encode(texts), progress: progress)
    }

    /// One vector per encoding (already tokenized, e.g. by ``encode(_:)``, or token ids a client sent).
    public func embed(encodings: [Encoding], progress: ((Int) -> Void)? = nil) throws -> [[Float]] {
        try batched(encodings, progress: progress) { batch, output, mask in
            var pooled = withNoGrad { pooling(hidden(output), mask: mask, poolerOutput: layer == nil ? output.poolerOutput : nil) }
            if normalize { pooled = withNoGrad { pooled.l2Normalized() } }
            let dim = pooled.shape[1]
            let values = pooled.scalars
            return (0..<batch.count).map { Array(values[($0 * dim)..<(($0 + 1) * dim)]) }
        }
    }

    /// Every token's vector, with its token string, per text.
    public func embedTokens(_ texts: [String], progress: ((Int) -> Void)? = nil) throws -> [(tokens: [String], vectors: [[Float]])] {
        try batched(encode(texts), progress: progress) { batch, output, _ in
            let h = hidden(output)
            let (seq, dim) = (h.shape[1], h.shape[2])
            let values = h.scalars
            return batch.enumerated().map { b, encoding in
                (encoding.tokens, (0..<encoding.count).map { t in
                    Array(values[((b * seq + t) * dim)..<((b * seq + t + 1) * dim)])
                })
            }
        }
    }
}
