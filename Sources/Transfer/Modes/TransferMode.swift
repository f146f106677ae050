import Foundation

/// The four ways to transfer a pretrained encoder (one setting, one `--mode` flag).
///
/// | mode | `--mode` | encoder |
/// | --- | --- | --- |
/// | feature extraction | `frozen` | frozen (Keras `trainable=False`), run in eval mode; only the head learns |
/// | fine-tuning | `finetune` | everything trains |
/// | extract layers | `layers:K` (fine-tuned) or `layers:K:frozen` | only embeddings + the first K layers exist |
/// | LoRA | `lora` | frozen; low-rank adapters beside the targeted dense layers train (``LoRASettings``) |
public enum TransferMode: Sendable, Equatable, Hashable, CustomStringConvertible {
    case featureExtraction
    case fineTuning
    case extractLayers(Int, frozen: Bool)
    /// Frozen encoder weights with trainable LoRA adapters (Hu et al., 2021); the head trains.
    case lora

    /// Parses `frozen`, `finetune`, `layers:K` or `layers:K:frozen`.
    public init(parsing text: String) throws(TransferError) {
        let parts = text.lowercased().split(separator: ":").map(String.init)
        switch parts.first {
        case "frozen", "feature-extraction", "features": self = .featureExtraction; if parts.count == 1 { return }
        case "finetune", "fine-tune", "fine-tuning": self = .fineTuning; if parts.count == 1 { return }
        case "lora": self = .lora; if parts.count == 1 { return }
        case "layers":
            guard parts.count >= 2, let k = Int(parts[1]), k >= 1 else { break }
            if parts.count == 2 { self = .extractLayers(k, frozen: false); return }
            if parts.count == 3 && parts[2] == "frozen" { self = .extractLayers(k, frozen: true); return }
            if parts.count == 3 && (parts[2] == "finetune" || parts[2] == "fine-tune") { self = .extractLayers(k, frozen: false); return }
        default: break
        }
        throw TransferError.invalidMode(text)
    }

    public var description: String {
        switch self {
        case .featureExtraction: return "frozen"
        case .fineTuning: return "finetune"
        case .extractLayers(let k, let frozen): return "layers:\(k)" + (frozen ? ":frozen" : "")
        case .lora: return "lora"
        }
    }

    /// Whether the encoder's own parameters train (LoRA trains adapters beside them, not them).
    public var trainsEncoder: Bool {
        switch self {
        case .featureExtraction, .lora: return false
        case .fineTuning: return true
        case .extractLayers(_, let frozen): return !frozen
        }
    }

    /// How many encoder layers to keep; nil keeps them all.
    public var keptLayers: Int? {
        if case .extractLayers(let k, _) = self { return k }
        return nil
    }

    /// The BERT paper's learning rates: 5e-5 when the encoder trains, 1e-3 for a frozen encoder's head;
    /// for LoRA, ``LoRASettings/defaultLearningRate``.
    public var defaultLearningRate: Double {
        if self == .lora { return LoRASettings.defaultLearningRate }
        return trainsEncoder ? 5e-5 : 1e-3
    }
}

extension TransferMode: Codable {
    public init(from decoder: Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        self = try TransferMode(parsing: text)
    }

    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Partial freezing on top of a mode (Keras `trainable` per layer).
public struct FreezeSpec: Sendable, Equatable, Codable {
    /// Freeze the embeddings and the lowest N encoder layers; nil freezes none.
    public var lowestLayers: Int?
    /// Freeze every parameter whose name starts with one of these (`bert.encoder.layer.0.`).
    public var prefixes: [String]

    public init(lowestLayers: Int? = nil, prefixes: [String] = []) {
        self.lowestLayers = lowestLayers
        self.prefixes = prefixes
    }

    public var isEmpty: Bool { lowestLayers == nil && prefixes.isEmpty }
}
