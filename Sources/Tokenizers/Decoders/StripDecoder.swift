/// Removes up to `start` leading and `stop` trailing occurrences of a scalar from each token, as the `Strip`
/// decoder of Hugging Face `tokenizers`.
public struct StripDecoder: TokenDecoder, Hashable {
    /// The scalar to remove.
    public var content: Unicode.Scalar
    /// At most this many from the start of each token.
    public var start: Int
    /// At most this many from the end of each token.
    public var stop: Int

    /// A `Strip` decoder.
    public init(content: Unicode.Scalar, start: Int, stop: Int) {
        self.content = content
        self.start = start
        self.stop = stop
    }

    public func decodeChain(_ tokens: [String]) -> [String] {
        tokens.map { token in
            let scalars = Array(token.unicodeScalars)
            var startCut = 0
            while startCut < min(start, scalars.count) && scalars[startCut] == content { startCut += 1 }
            var stopCut = scalars.count
            var removed = 0
            while removed < stop && stopCut > 0 && scalars[stopCut - 1] == content {
                stopCut -= 1
                removed += 1
            }
            guard startCut < stopCut else { return "" }
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars[startCut..<stopCut])
            return String(view)
        }
    }
}
