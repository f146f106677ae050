/// Several normalizers applied in order, as the `Sequence` normalizer of Hugging Face `tokenizers`.
public struct NormalizerSequence: Normalizer {
    /// The normalizers, in order.
    public var normalizers: [any Normalizer]

    /// A sequence of normalizers.
    public init(_ normalizers: [any Normalizer]) {
        self.normalizers = normalizers
    }

    public func normalize(_ string: inout NormalizedString) {
        for normalizer in normalizers { normalizer.normalize(&string) }
    }
}
