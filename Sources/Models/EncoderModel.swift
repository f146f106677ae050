import Checkpoints
import Layers
import Tensor

/// What every encoder family offers the layers above it (pooling, heads, summaries): BERT,
/// and the families that mirror other transformers classes.
public protocol EncoderModel: AnyObject {
    /// Every parameter, named as in the checkpoint (with ``prefix`` in front under a task head).
    var store: ParameterStore { get }
    /// Where the encoder sits in its store's weight tree: "" alone, "bert." under a BERT head.
    var prefix: String { get }
    var hiddenSize: Int { get }
    /// The number of encoder layers built (extract-layers builds fewer than the checkpoint has).
    var layerCount: Int { get }
    var maxPositionEmbeddings: Int { get }
    /// Whether the encoder has a pooler (dense + tanh on the first token).
    var hasPooler: Bool { get }
    /// The summary's blocks, in order: each one's parameter-name prefix and type name.
    var blocks: [(prefix: String, type: String)] { get }
    /// The parameter-name prefixes that hold the embeddings and the lowest `layers` layers: what
    /// "freeze the lowest N layers" freezes.
    func prefixes(ofLowestLayers layers: Int) -> [String]

    /// Runs the encoder.
    func callAsFunction(
        _ input: EncoderInput, outputHiddenStates: Bool, outputAttentions: Bool, upToLayer: Int?
    ) throws(ModelError) -> EncoderOutput
}

extension EncoderModel {
    /// The embeddings block and the next `layers` blocks: one block per layer, as in BERT.
    public func prefixes(ofLowestLayers layers: Int) -> [String] {
        blocks.prefix(layers + 1).map(\.prefix)
    }

    /// Runs the encoder with no extra outputs.
    public func callAsFunction(_ input: EncoderInput) throws(ModelError) -> EncoderOutput {
        try self(input, outputHiddenStates: false, outputAttentions: false, upToLayer: nil)
    }
}

/// The number of layers a model builds for `requested` (extract layers): all `available` when nil,
/// else `requested` clamped to 0…`available`. Every family's initializer goes through here.
func keptLayerCount(_ requested: Int?, of available: Int) -> Int {
    min(max(requested ?? available, 0), available)
}

extension BertModel: PretrainedEncoder {
    public var hiddenSize: Int { config.hiddenSize }
    public var layerCount: Int { encoder.layers.count }
    public var maxPositionEmbeddings: Int { config.maxPositionEmbeddings }
    public var hasPooler: Bool { pooler != nil }
    public var blocks: [(prefix: String, type: String)] {
        [(prefix + "embeddings.", "BertEmbeddings")]
            + encoder.layers.indices.map { (prefix + "encoder.layer.\($0).", "BertLayer") }
            + (pooler == nil ? [] : [(prefix + "pooler.", "BertPooler")])
    }
}
