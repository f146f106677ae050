// Mirrors transformers' AutoModel: the family is chosen by `model_type` in `config.json`.
import Foundation

/// Loads the encoder of any supported family, as transformers' `AutoModel` does; the same as
/// ``EncoderModel/load(_:revision:layers:)``.
///
/// ```swift
/// let model = try AutoModel.load("FacebookAI/xlm-roberta-base")   // RoBERTa's parts
/// let output = try model(EncoderInput(sequences: [[0, 35378, 2]], padId: 1))
/// ```
public enum AutoModel {
    /// The `model_type` values with a family here.
    public static let supportedModelTypes = EncoderConfig.supportedModelTypes

    /// Loads a model folder or a Hugging Face id from the local cache (no network).
    public static func load(_ idOrPath: String, revision: String? = nil, layers: Int? = nil) throws -> EncoderModel {
        try EncoderModel.load(idOrPath, revision: revision, layers: layers)
    }

    /// Loads a model folder; see ``load(_:revision:layers:)``.
    public static func load(folder: URL, layers: Int? = nil) throws -> EncoderModel {
        try EncoderModel.load(folder: folder, layers: layers)
    }
}
