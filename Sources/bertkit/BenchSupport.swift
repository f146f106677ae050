import ArgumentParser
import BertKit
import Dispatch
import Foundation

/// What the side-by-side benchmarks (`bertkit bench forward|embed|finetune|frozen|tokenize`) share
/// with `scripts/bench/pytorch_bench.py`: one JSON line of results, best-of timing, peak memory,
/// SST-2 reading, and a batch order both languages compute from the same seed.
enum Bench {
    /// Seconds on a monotonic clock.
    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    /// Seconds taken by `body`.
    static func time(_ body: () throws -> Void) rethrows -> Double {
        let start = now()
        try body()
        return now() - start
    }

    /// Every timing of `repeats` calls of `body`, after `warmup` untimed calls.
    static func timings(repeats: Int, warmup: Int = 1, _ body: () throws -> Void) rethrows -> [Double] {
        for _ in 0..<warmup { try body() }
        precondition(repeats > 0, "repeats must be positive")
        return try (0..<repeats).map { _ in try time(body) }
    }

    /// This process's peak resident memory so far, in MiB.
    static func maxResidentMiB() -> Double {
        var usage = rusage()
        #if os(Linux)
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024  // KiB on Linux
        #else
        getrusage(RUSAGE_SELF, &usage)
        return Double(usage.ru_maxrss) / 1_048_576  // bytes on Darwin
        #endif
    }

    /// A permutation of `0..<count` from SplitMix64 (``SeededGenerator``) and Fisher–Yates, drawn
    /// exactly as `pytorch_bench.py`'s `permutation` draws it, so both sides see the same batches.
    static func permutation(count: Int, seed: UInt64) -> [Int] {
        var g = SeededGenerator(seed: seed)
        var order = Array(0..<count)
        for i in stride(from: count - 1, to: 0, by: -1) {
            order.swapAt(i, Int(g.next() % UInt64(i + 1)))
        }
        return order
    }

    /// The examples of an SST-2 file (`label<TAB>text` with a header row).
    static func readSST2(_ path: String) throws -> ClassificationDataset {
        try ClassificationDataset.read(URL(fileURLWithPath: path))
    }

    /// Prints `fields` as one JSON object on one line, with the fields every result carries.
    static func emit(figure: String, _ fields: [String: Any]) throws {
        var all = fields
        all["figure"] = figure
        all["impl"] = "bertkit"
        all["threads"] = Threads.count
        all["max_rss_mib"] = rounded(maxResidentMiB(), 1)
        // Which CPU and which kernels made this figure.
        let report = BackendReport(measure: false)
        all["precision"] = Precision.current.rawValue
        all["cpu_model"] = report.cpu.model
        all["cpu_features"] = report.cpu.features.joined(separator: " ")
        all["backend"] = report.backend.name
        let kernel = Precision.current == .bf16 ? report.bf16 : Precision.current == .int8 ? report.int8 : report.fp32
        all["kernel"] = kernel.name
        all["kernel_native"] = kernel.native
        all["attention"] = report.attention
        let data = try JSONSerialization.data(withJSONObject: all, options: [.sortedKeys])
        try StandardOutput.shared.append(String(decoding: data, as: UTF8.self) + "\n")
        try StandardOutput.shared.flush()
    }

    /// `value` rounded to `digits` decimals, for readable JSON.
    static func rounded(_ value: Double, _ digits: Int) -> Double {
        let scale = pow(10, Double(digits))
        return (value * scale).rounded() / scale
    }

    /// The cosine of the angle between two vectors, summed in Double.
    static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var dot = 0.0, na = 0.0, nb = 0.0
        for (x, y) in zip(a, b) { dot += Double(x) * Double(y); na += Double(x) * Double(x); nb += Double(y) * Double(y) }
        return na > 0 && nb > 0 ? dot / (na.squareRoot() * nb.squareRoot()) : 0
    }

    /// Padded token count of batches of `lengths`, each padded to its longest.
    static func paddedTokens(_ batches: [[Int]]) -> Int {
        batches.reduce(0) { $0 + $1.count * ($1.max() ?? 0) }
    }
}

/// Options every side-by-side benchmark takes.
/// A whole data file's texts, timed `repeats` times (the tokenize and embed figures).
struct BenchTexts: ParsableArguments {
    @Option(help: "A TSV with a header row, label then text (SST-2's train.tsv or dev.tsv).") var data: String
    @Option(help: "Timed repetitions inside this process (the driver keeps the best).") var repeats = 5

    /// The file's texts, in file order.
    func read() throws -> [String] {
        guard repeats > 0 else { throw ValidationError("--repeats must be positive") }
        return try Bench.readSST2(data).examples.map(\.text)
    }
}

/// The training figures' data and loop (finetune, qa, embedding-train): untimed warm-up steps,
/// then timed ones, on batches chosen by a seed pytorch_bench.py shares. scripts/bench/run passes
/// each figure's counts.
struct BenchLoop: ParsableArguments {
    @Option(help: "The training data: SST-2's train.tsv (finetune), a SQuAD JSON file such as train.json (qa), or (anchor, positive) pairs as JSON Lines or TSV from scripts/data/squad_to_beir.py --pairs (embedding-train).")
    var data: String
    @Option(help: "Examples per batch (default: 32 sequences or pairs; 16 windows for qa).") var batchSize: Int?
    @Option(help: "Peak learning rate (default: 5e-5; 2e-5 for embedding-train).") var lr: Double?
    @Option(help: "Untimed steps first.") var warmup = 3
    @Option(help: "Timed steps.") var steps = 30
    @Option(help: "Seed of the batch order (shared with pytorch_bench.py), the head and dropout.") var seed: UInt64 = 0

    func validate() throws {
        guard steps > 0, warmup >= 0 else { throw ValidationError("--steps must be positive and --warmup not negative") }
    }

    var total: Int { warmup + steps }

    /// The example indices of each batch, in the shared permutation of `count` examples; `what`
    /// names the examples in the error when there are too few (`"train.tsv has"`).
    func batches(of count: Int, batchSize: Int, what: String) throws -> [[Int]] {
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
        let chosen = Array(Bench.permutation(count: count, seed: seed).prefix(total * batchSize))
        guard chosen.count == total * batchSize else {
            throw ValidationError("\(what) \(count); \(total) batches of \(batchSize) need \(total * batchSize)")
        }
        return (0..<total).map { Array(chosen[($0 * batchSize)..<(($0 + 1) * batchSize)]) }
    }

    /// The trainer's step on each batch: the loss with dropout on, backward, clipping at 1, AdamW
    /// with weight decay 0.01 and a linear schedule (10% warm-up). `batch` gives step `i`'s input,
    /// targets and sequence lengths; the result holds the timed steps' seconds and lengths.
    func train(_ model: TransferModel, lr: Double, steps count: Int,
               batch: (Int) -> (input: EncoderInput, targets: Targets, lengths: [Int])) throws -> (seconds: [Double], losses: [Double], lengths: [[Int]]) {
        let warmupSteps = Int((Double(count) * 0.1).rounded(.up))
        let optimizer = AdamW(model.store.parameters.filter(\.trainable),
                              schedule: .linear(peak: lr, warmupSteps: warmupSteps, totalSteps: count), weightDecay: 0.01)
        var seconds: [Double] = [], losses: [Double] = [], lengths: [[Int]] = []
        for step in 0..<count {
            let (input, targets, batchLengths) = batch(step)
            let time = try Bench.time {
                let context = ForwardContext.training(RandomStream(seed: UInt64(step)))
                let loss = model.loss(logits: try model.logits(input, context: context), targets: targets)
                losses.append(Double(loss.item))
                loss.backward()
                // As the trainer does: clipping applied by AdamW as it reads each gradient.
                optimizer.step(gradientScale: clipCoefficient(norm: optimizer.gradientNorm(), maxNorm: 1))
            }
            if step >= warmup {
                seconds.append(time)
                lengths.append(batchLengths)
            }
        }
        return (seconds, losses, lengths)
    }
}

struct BenchOptions: ParsableArguments {
    @Option(help: "A model folder, or a Hugging Face id in the local cache.")
    var model: String = "sentence-transformers/all-MiniLM-L6-v2"
    @Option(help: threadsHelp("Threads for matrix products and element-wise kernels"))
    var threads: Int?
    @Option(help: "Dense layers' number format: fp32, bf16 or int8 (int8: inference figures only).")
    var precision: Precision = .fp32

    func apply() throws {
        try useThreads(threads)
        Precision.setDefault(precision)
        BackendWarnings.printOnce(precision: precision)
    }
}

