/// Several post-processors applied in order, as the `Sequence` post-processor of Hugging Face `tokenizers`
/// (`ByteLevel` offset trimming then a template, in Llama 3's files).
public struct PostProcessorSequence: PostProcessor {
    /// The post-processors, in order.
    public var processors: [any PostProcessor]

    /// A sequence of post-processors.
    public init(_ processors: [any PostProcessor]) {
        self.processors = processors
    }

    public func addedTokenCount(isPair: Bool) -> Int {
        processors.reduce(0) { $0 + $1.addedTokenCount(isPair: isPair) }
    }

    public func processEncodings(_ encodings: [Encoding], addSpecialTokens: Bool) -> [Encoding] {
        var encodings = encodings
        for processor in processors {
            encodings = processor.processEncodings(encodings, addSpecialTokens: addSpecialTokens)
        }
        return encodings
    }

    public func process(_ encoding: Encoding, pair: Encoding?, addSpecialTokens: Bool) -> Encoding {
        Self.merged(processEncodings(pair.map { [encoding, $0] } ?? [encoding], addSpecialTokens: addSpecialTokens))
    }
}
