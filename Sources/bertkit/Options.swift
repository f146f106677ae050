import ArgumentParser
import BertKit
import Foundation

extension Precision: ExpressibleByArgument {}

/// `--threads` when given (it must be positive), else the default count, fixed now.
func useThreads(_ threads: Int?) throws {
    guard let threads else { _ = Threads.count; return }
    guard threads > 0 else { throw ValidationError("--threads must be positive, got \(threads)") }
    Threads.set(threads)
}

/// `--threads`'s help: what it sets, then where the default comes from (`Threads.count`).
func threadsHelp(_ what: String) -> ArgumentHelp {
    "\(what) (default: BERTKIT_THREADS, else every core this process may run on; under mpirun, a share of them per rank)."
}

/// Options every command that computes takes.
struct ComputeOptions: ParsableArguments {
    @Option(help: threadsHelp("Threads for matrix products and element-wise kernels"))
    var threads: Int?

    @Option(help: ArgumentHelp(
        "Dense layers' number format: fp32 (default), bf16 (bf16 products, fp32 accumulation) or int8 (dynamic quantization, inference only).",
        discussion: "bertkit env says which of these this CPU runs natively."))
    var precision: Precision = .fp32

    func apply() throws {
        if let problem = Settings.isaProblem { throw ValidationError(problem) }
        try useThreads(threads)
        Precision.setDefault(precision)
        BackendWarnings.printOnce(precision: precision)
    }
}

/// One line on stderr, once per process, when the products run slower than this CPU allows.
enum BackendWarnings {
    static func printOnce(precision: Precision) {
        let backend = MatrixBackend.current
        var lines = backend.warnings
        let kernel = precision == .bf16 ? backend.bf16Kernel : precision == .int8 ? backend.int8Kernel : nil
        if let kernel, !kernel.native, let note = kernel.note { lines.append("note: --precision \(precision): \(note)") }
        for line in lines { FileHandle.standardError.write(Data("bertkit: \(line) (see bertkit env)\n".utf8)) }
    }
}

/// Which model to use: a folder, or a Hugging Face id found in the local cache.
struct ModelOptions: ParsableArguments {
    @Option(help: "A model folder, or a Hugging Face id in the local cache (e.g. sentence-transformers/all-MiniLM-L6-v2).")
    var model: String = "sentence-transformers/all-MiniLM-L6-v2"

    @Option(help: "The revision (branch, tag or snapshot) of a Hugging Face id.")
    var revision: String?
}
