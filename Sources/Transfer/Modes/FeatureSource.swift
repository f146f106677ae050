/// Which hidden states the head reads: the BERT paper's feature-based choices.
public enum FeatureSource: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The last layer's output.
    case last
    /// The second-to-last layer's output.
    case secondToLast
    /// The sum of the last four layers' outputs.
    case sumLastFour
    /// The concatenation of the last four layers' outputs (4 × hidden features).
    case concatLastFour
    /// Hidden state K: 0 is the embeddings output, K the K-th layer's output.
    case layer(Int)

    /// Parses `last`, `second-to-last`, `sum-last-4`, `concat-last-4` or `layer:K`.
    public init(parsing text: String) throws(TransferError) {
        switch text.lowercased() {
        case "last": self = .last
        case "second-to-last", "penultimate": self = .secondToLast
        case "sum-last-4", "sum-last-four": self = .sumLastFour
        case "concat-last-4", "concat-last-four": self = .concatLastFour
        default:
            if text.hasPrefix("layer:"), let k = Int(text.dropFirst(6)), k >= 0 { self = .layer(k); return }
            throw .invalidFeatures(text)
        }
    }

    public var description: String {
        switch self {
        case .last: return "last"
        case .secondToLast: return "second-to-last"
        case .sumLastFour: return "sum-last-4"
        case .concatLastFour: return "concat-last-4"
        case .layer(let k): return "layer:\(k)"
        }
    }

    /// The hidden-state indices read, for an encoder with `layers` layers (0 = embeddings output).
    public func indices(layers: Int) -> [Int] {
        switch self {
        case .last: return [layers]
        case .secondToLast: return [layers - 1]
        case .sumLastFour, .concatLastFour: return Array((layers - 3)...layers)
        case .layer(let k): return [k]
        }
    }

    /// Feature width for an encoder of `hidden` units.
    public func width(hidden: Int) -> Int { self == .concatLastFour ? 4 * hidden : hidden }
}

extension FeatureSource: Codable {
    public init(from decoder: Decoder) throws {
        self = try FeatureSource(parsing: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
