import ArgumentParser
import BertKit

/// Options every command that computes takes.
struct ComputeOptions: ParsableArguments {
    @Option(help: "Threads for BLAS and element-wise kernels (default: BERTKIT_THREADS, else every core).")
    var threads: Int?

    func apply() throws {
        if let threads {
            guard threads > 0 else { throw ValidationError("--threads must be positive, got \(threads)") }
            Threads.set(threads)
        } else {
            _ = Threads.count
        }
    }
}

/// Which model to use: a folder, or a Hugging Face id found in the local cache.
struct ModelOptions: ParsableArguments {
    @Option(help: "A model folder, or a Hugging Face id in the local cache (e.g. sentence-transformers/all-MiniLM-L6-v2).")
    var model: String = "sentence-transformers/all-MiniLM-L6-v2"

    @Option(help: "The revision (branch, tag or snapshot) of a Hugging Face id.")
    var revision: String?
}
