import Checkpoints
import Foundation

/// Upper bounds on the sizes a `config.json` may declare, checked when it is read.
///
/// They are far above any published BERT-family model (BERT-large: 24 layers, 1024 wide;
/// XLM-RoBERTa: 250 002 tokens), and low enough that building the model's layer list and
/// shapes cannot overflow or run away before the checkpoint's real shapes are compared.
public enum ConfigLimits {
    public static let maxima: [String: Int] = [
        "vocab_size": 1 << 24, "hidden_size": 1 << 16, "dim": 1 << 16, "embedding_size": 1 << 16,
        "intermediate_size": 1 << 18, "hidden_dim": 1 << 18,
        "num_hidden_layers": 1024, "n_layers": 1024, "num_hidden_groups": 1024, "inner_group_num": 1024,
        "num_attention_heads": 4096, "n_heads": 4096,
        "max_position_embeddings": 1 << 20, "type_vocab_size": 1 << 16,
    ]

    /// Checks that each size is a positive integer within ``maxima``; errors name `file` and the key.
    public static func check(_ sizes: [(String, Int)], file: URL?) throws(CheckpointError) {
        for (key, value) in sizes {
            let maximum = maxima[key] ?? Int(Int32.max)
            guard value > 0 && value <= maximum else {
                throw CheckpointError(file: file, key: key, .invalidValue(
                    value <= 0 ? "must be a positive integer, found \(value)" : "\(value) is more than the \(maximum) BertKit accepts"))
            }
        }
    }

    /// Checks that each present value is a probability in [0, 1); errors name `file` and the key.
    public static func checkProbabilities(_ values: [(String, Double?)], file: URL?) throws(CheckpointError) {
        for case let (key, value?) in values where !(value >= 0 && value < 1) {
            throw CheckpointError(file: file, key: key, .invalidValue("must be a probability in [0, 1), found \(value)"))
        }
    }

    /// Checks `initializer_range` (finite, not negative) and `pad_token_id` (a token id when present).
    public static func checkInitialization(range: Double, padTokenId: Int?, vocabSize: Int, file: URL?) throws(CheckpointError) {
        guard range >= 0, range.isFinite else {
            throw CheckpointError(file: file, key: "initializer_range", .invalidValue("must be a non-negative number, found \(range)"))
        }
        if let padTokenId, !(0..<vocabSize).contains(padTokenId) {
            throw CheckpointError(file: file, key: "pad_token_id", .invalidValue("\(padTokenId) is not a token id in 0..<\(vocabSize) (vocab_size)"))
        }
    }
}
