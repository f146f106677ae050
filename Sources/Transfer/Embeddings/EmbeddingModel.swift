import Checkpoints
import Foundation
import Layers
import Models
import Tensor
import Tokenizers

/// A sentence embedder being trained: an encoder (all its layers, the lower K, or with LoRA adapters),
/// pooling and optional normalisation, as sentence-transformers' `Transformer` → `Pooling` →
/// `Normalize` pipeline. Weights keep the encoder's own key names (`embeddings.…`, `encoder.layer.0.…`),
/// as sentence-transformers saves a `Transformer` module. Saved by ``save(to:tokenizerFrom:)`` as a
/// sentence-transformers folder.
public final class EmbeddingModel {
    public let encoder: EncoderModel
    public let mode: TransferMode
    public let pooling: Pooling
    /// Whether vectors are scaled to unit length (a `Normalize` module).
    public let normalize: Bool
    /// Inputs are truncated to this many tokens (sentence-transformers' `max_seq_length`).
    public let maxLength: Int
    public private(set) var lora: LoRASettings?

    public var store: ParameterStore { encoder.store }
    public var config: EncoderConfig { encoder.config }

    /// Loads a pretrained folder for training in `mode`.
    ///
    /// - Parameters:
    ///   - pooling: nil takes the folder's sentence-transformers pooling, else mean pooling
    ///     (sentence-transformers' choice for a plain transformers model).
    ///   - normalize: nil takes the folder's (a `Normalize` module), else false.
    ///   - maxLength: nil takes the folder's `max_seq_length`, else 256; never above the model's positions.
    /// - Throws: ``TransferError/invalidSetting(_:)`` for a mode that trains nothing or `pooler` pooling
    ///   (sentence-transformers' Pooling module has no pooler mode).
    public init(pretrained folder: URL, mode: TransferMode, pooling: Pooling? = nil, normalize: Bool? = nil,
                maxLength: Int? = nil, lora: LoRASettings? = nil) throws {
        switch mode {
        case .featureExtraction, .extractLayers(_, frozen: true):
            throw TransferError.invalidSetting("--mode \(mode) trains nothing in an embedding model (it has no head); "
                + "use finetune, layers:K or lora")
        default: break
        }
        let settings = try SentenceTransformerConfig.load(from: folder)
        let chosen = pooling ?? (settings?.pooling == nil ? .mean : Pooling.default(for: settings))
        guard chosen != .pooler else {
            throw TransferError.invalidSetting("--pooling pooler has no sentence-transformers Pooling mode; use mean, cls or max")
        }
        let config = try EncoderConfig(contentsOf: folder.appending(path: "config.json"))
        if let k = mode.keptLayers, k > config.numHiddenLayers {
            throw TransferError.invalidSetting("layers:\(k) asks for more layers than the model's \(config.numHiddenLayers)")
        }
        encoder = try EncoderModel.load(config: config, weights: Checkpoint.open(folder), layers: mode.keptLayers)
        self.mode = mode
        self.pooling = chosen
        self.normalize = normalize ?? settings?.normalize ?? false
        self.maxLength = min(maxLength ?? settings?.maxSeqLength ?? 256, encoder.maxPositionEmbeddings)
        // The pooler is saved as it was loaded: no sentence-transformers pipeline reads it.
        store.setTrainable(mode != .lora)
        if let pooler = encoder.pooler {
            pooler.weight.trainable = false
            pooler.bias?.trainable = false
        }
        if mode == .lora {
            let settings = lora ?? LoRASettings()
            let layers = try settings.attach(to: encoder, under: "", defaultTargets: LoRASettings.defaultTargets(for: config))
            for layer in layers { layer.adapter!.a.trainable = true; layer.adapter!.b.trainable = true }
            self.lora = settings
        }
    }

    /// The parameters that train.
    public var trainableParameters: [Parameter] { store.parameters.filter(\.trainable) }

    /// One vector per sequence of `input`: `[batch, hidden]`, through pooling and normalisation.
    public func callAsFunction(_ input: EncoderInput, context: ForwardContext) throws(ModelError) -> Tensor {
        var input = input
        input.skipsPadding = true
        let output = try encoder(input, context: context)
        return context.run {
            let pooled = pooling(output.lastHiddenState, mask: input.maskTensor)
            return normalize ? pooled.l2Normalized() : pooled
        }
    }

    /// A batch of encodings, padded to the longest with `padId`.
    static func input(_ encodings: [Encoding], padId: Int32) -> EncoderInput {
        EncoderInput(sequences: encodings.map(\.ids), typeIds: encodings.map(\.typeIds), padId: padId)
    }

    /// Vectors for `texts` with no gradient and no dropout, in batches sorted by length.
    public func embed(_ texts: [String], tokenizer: Tokenizer, batchSize: Int = 64) throws -> [[Float]] {
        var t = tokenizer
        t.truncation = Truncation(maxLength: maxLength)
        t.padding = nil
        let encodings = t.encodeBatch(texts)
        var vectors = [[Float]](repeating: [], count: texts.count)
        for indices in lengthSortedBatches(encodings.map(\.count), size: batchSize) {
            let input = EmbeddingModel.input(indices.map { encodings[$0] }, padId: tokenizer.padTokenId ?? 0)
            let pooled = try withNoGrad { try self(input, context: .inference) }
            let dim = pooled.shape[1], values = pooled.scalars
            for (row, i) in indices.enumerated() { vectors[i] = Array(values[(row * dim)..<((row + 1) * dim)]) }
        }
        return vectors
    }
}
