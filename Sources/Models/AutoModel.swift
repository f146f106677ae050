// Mirrors transformers' AutoConfig and AutoModel: the encoder class is chosen by `model_type`.
import Checkpoints
import Foundation
import Layers
import Tensor

/// Loads the encoder of any supported family, choosing the class by `model_type` in `config.json`
/// as transformers' `AutoModel` does.
///
/// ```swift
/// let model = try AutoModel.load("FacebookAI/xlm-roberta-base")   // a RobertaModel
/// let output = try model(EncoderInput(sequences: [[0, 35378, 2]], padId: 1))
/// ```
public enum AutoModel {
    /// The `model_type` values with a class here, and the class each one loads.
    public static let supportedModelTypes = EncoderConfig.supportedModelTypes

    /// Loads a model folder or a Hugging Face id from the local cache (no network).
    ///
    /// - Parameter layers: keep only the first `layers` encoder layers (extract layers); all when nil.
    /// - Throws: ``ModelError/unsupportedModelType(_:supported:)`` listing the supported types, or a
    ///   `CheckpointError` naming the file and key (a missing weight, a bad config field).
    public static func load(_ idOrPath: String, revision: String? = nil, layers: Int? = nil) throws -> any EncoderModel {
        try load(folder: ModelLocation.resolve(idOrPath, revision: revision), layers: layers)
    }

    /// Loads a model folder; see ``load(_:revision:layers:)``.
    public static func load(folder: URL, layers: Int? = nil) throws -> any EncoderModel {
        let config = try EncoderConfig(contentsOf: folder.appending(path: "config.json"))
        return try config.loadModel(weights: Checkpoint.open(folder), layers: layers)
    }
}
