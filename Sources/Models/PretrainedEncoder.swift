import Checkpoints
import Foundation

/// A family's model class, which loads a model folder the same way for every family: `config.json`
/// read as its ``Config``, then ``load(config:weights:layers:)`` from the folder's checkpoint.
///
/// ```swift
/// let model = try BertModel.load("sentence-transformers/all-MiniLM-L6-v2")
/// ```
public protocol PretrainedEncoder: EncoderModel {
    associatedtype Config: EncoderFamilyConfig

    /// Builds the model `config` describes and fills it from `weights`, whose keys may carry the
    /// family's base-model prefix (`bert.` under `BertForSequenceClassification`).
    static func load(config: Config, weights: any WeightSource, layers: Int?) throws -> Self
}

extension PretrainedEncoder {
    /// Loads a model folder (`config.json` + `model.safetensors` or `pytorch_model.bin`) or a Hugging
    /// Face id from the local cache. No network is used.
    ///
    /// - Parameter layers: keep only the first `layers` encoder layers (extract layers); all when nil.
    /// - Throws: a `CheckpointError` naming the file and key (a missing weight, a bad config field).
    public static func load(_ idOrPath: String, revision: String? = nil, layers: Int? = nil) throws -> Self {
        try load(folder: ModelLocation.resolve(idOrPath, revision: revision), layers: layers)
    }

    /// Loads a model folder; see ``load(_:revision:layers:)``.
    public static func load(folder: URL, layers: Int? = nil) throws -> Self {
        let config = try Config(contentsOf: folder.appending(path: "config.json"))
        // model.safetensors, else a safely unpickled pytorch_model.bin
        return try load(config: config, weights: Checkpoint.open(folder), layers: layers)
    }
}
