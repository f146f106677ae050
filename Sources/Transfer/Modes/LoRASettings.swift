import Foundation
import Layers
import Models

/// The settings of `--mode lora`: rank, alpha, dropout and which dense layers get adapters.
///
/// Defaults are PEFT's `LoraConfig` as most recipes set it: `r` 8, `lora_alpha` 16,
/// `lora_dropout` 0.1, on the attention query and value projections.
public struct LoRASettings: Sendable, Equatable, Codable {
    public var rank: Int
    public var alpha: Double
    public var dropout: Double
    /// Layer-name patterns, as PEFT's `target_modules` list: a dense layer is adapted when its
    /// name (`bert.encoder.layer.0.attention.self.query`) equals a pattern or ends with
    /// `.` + pattern. Nil: the family's query and value projections (``defaultTargets(for:)``).
    public var targets: [String]?

    /// The peak learning rate of a LoRA run unless one is given. Measured for one epoch on SST-2
    /// (docs/accuracy.md, "LoRA"): on the whole training set 1e-3 beats 2e-3 (0.8716 against
    /// 0.8670); on a 4,000-sentence sample 2e-3 is ahead by about a point, and 5e-4 trails 1e-3 by 2–3.
    public static let defaultLearningRate = 1e-3

    public init(rank: Int = 8, alpha: Double = 16, dropout: Double = 0.1, targets: [String]? = nil) {
        self.rank = rank
        self.alpha = alpha
        self.dropout = dropout
        self.targets = targets
    }

    /// PEFT's `scaling`: alpha / rank.
    public var scale: Double { alpha / Double(rank) }

    /// The attention query and value projections, as each family names them.
    public static func defaultTargets(for config: EncoderConfig) -> [String] {
        config.traits.queryValueProjections
    }

    /// Whether a layer named `name` is one of `targets`.
    public static func matches(_ name: String, targets: [String]) -> Bool {
        targets.contains { name == $0 || name.hasSuffix("." + $0) }
    }

    /// Attaches adapters to the dense layers of the module tree `module` whose names start with
    /// `prefix` and that ``targets`` names (`defaultTargets` when nil). Sets no `trainable` flag but
    /// the adapters' own (trainable).
    ///
    /// - Throws: ``TransferError/invalidSetting(_:)`` when a target names no layer.
    @discardableResult
    public func attach(to module: Any, under prefix: String, defaultTargets: [String]) throws(TransferError) -> [Linear] {
        try validate()
        let targets = self.targets ?? defaultTargets
        let candidates = Linear.all(in: module).filter { $0.name.hasPrefix(prefix) }
        let layers = candidates.filter { LoRASettings.matches($0.name, targets: targets) }
        for target in targets where !layers.contains(where: { LoRASettings.matches($0.name, targets: [target]) }) {
            let examples = candidates.prefix(8).map(\.name).joined(separator: ", ")
            throw .invalidSetting("LoRA target \"\(target)\" names no dense layer of the encoder (its layers are named like \(examples))")
        }
        for layer in layers where layer.adapter != nil {
            throw .invalidSetting("\(layer.name) already has a LoRA adapter")
        }
        for layer in layers {
            layer.attachAdapter(rank: rank, alpha: Float(alpha), dropout: Float(dropout))
        }
        return layers
    }

    /// The largest `alpha / rank` accepted.
    static let maxScale = 1024.0

    /// Checks the numbers; they come from the command line or a file.
    public func validate() throws(TransferError) {
        guard rank >= 1 && rank <= 4096 else { throw .invalidSetting("--lora-rank must be in 1…4096, got \(rank)") }
        guard alpha > 0 && alpha.isFinite else { throw .invalidSetting("--lora-alpha must be a positive finite number, got \(alpha)") }
        // The adapters' scale; far above any published setting, low enough that B·A·x stays finite.
        guard alpha / Double(rank) <= Self.maxScale else {
            throw .invalidSetting("lora_alpha / r (--lora-alpha / --lora-rank) must be at most \(Int(Self.maxScale)), got \(alpha / Double(rank))")
        }
        guard dropout >= 0 && dropout < 1 else { throw .invalidSetting("--lora-dropout must be in [0, 1), got \(dropout)") }
        if let targets, targets.isEmpty || targets.contains(where: \.isEmpty) {
            throw .invalidSetting("--lora-targets needs one or more layer names, e.g. query,value")
        }
    }
}
