import Checkpoints
import Tokenizers

extension Tokenizer {
    /// Loads the tokenizer of a model folder, or of a Hugging Face id found in the local cache
    /// (no network is used).
    ///
    /// ```swift
    /// let tokenizer = try Tokenizer.load("sentence-transformers/all-MiniLM-L6-v2")
    /// ```
    public static func load(_ idOrPath: String, revision: String? = nil) throws -> Tokenizer {
        try load(directory: ModelLocation.resolve(idOrPath, revision: revision))
    }
}
