import ArgumentParser
import BertKit
import Foundation

/// Figure 1: encoder throughput at a fixed shape (batch × length, no padding), the GFLOP/s it
/// implies, and that as a share of the sgemm ceiling measured in the same process.
struct ForwardBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "forward",
        abstract: "Encoder forward + mean pooling at a fixed batch × length; GFLOP/s against the sgemm ceiling.",
        discussion: """
            Token ids are synthetic and deterministic ([CLS], 1000 + (b·131 + t·17) mod 20000, [SEP]), as
            pytorch_bench.py makes them. FLOP per token come from the config's shapes: per layer
            2·(4·h² + 2·h·i) for the projections and the FFN, plus 2·2·S·h for Q·Kᵀ and P·V. The ceiling is
            the best rate among the largest dense shapes of GemmBenchmark at the same thread count, measured
            before and after the forward passes: the plain loop of the backend's call, or BertKit's own product's
            if that is faster. fma_peak_gflops is the CPU's own fused multiply-add rate on the same threads.
            """
    )

    @OptionGroup var bench: BenchOptions
    @Option(help: "Timed repetitions inside this process (the driver keeps the best).") var repeats = 5
    @Option(help: "Sequences per batch.") var batchSize = 32
    @Option(help: "Tokens per sequence, [CLS] and [SEP] included.") var length = 128
    @Option(help: "Timed repetitions of each sgemm shape for the ceiling.") var gemmRepeats = 10

    func run() throws {
        try bench.apply()
        guard repeats > 0 else { throw ValidationError("--repeats must be positive") }
        let model = try EncoderModel.load(bench.model)
        let tokenizer = try Tokenizer.load(bench.model)
        guard let config = model.config.family as? BertConfig else { throw ValidationError("bench forward runs a BERT model") }
        guard length >= 2 && length <= config.maxPositionEmbeddings else {
            throw ValidationError("--length must be in 2…\(config.maxPositionEmbeddings)")
        }
        let ids = ForwardBench.syntheticIds(batch: batchSize, length: length,
                                            cls: tokenizer.clsTokenId ?? 101, sep: tokenizer.sepTokenId ?? 102)
        let input = EncoderInput(sequences: ids)
        let mask = input.maskTensor

        let (h, i, s) = (config.hiddenSize, config.intermediateSize, length)
        func measureGemm() -> [GemmBenchmark.Row] {
            GemmBenchmark.run(tokens: batchSize * length, hidden: h, intermediate: i,
                              heads: config.numAttentionHeads, sequence: length, repeats: gemmRepeats)
        }
        let gemmBefore = measureGemm()

        var checksum: Float = 0
        let seconds = try Bench.timings(repeats: repeats) {
            let pooled = try withNoGrad { Pooling.mean(try model(input, context: .inference).lastHiddenState, mask: mask) }
            checksum = pooled.scalars.prefix(8).reduce(0, +)
        }
        // The ceiling: the best rate any product reached on the largest shapes, the plain backend
        // loop or BertKit's own, measured before and after the forward passes (a machine that was
        // busy for one of the two would otherwise lower it).
        let gemm = gemmBefore + measureGemm()
        let largest = gemm.map(\.flops).max() ?? 0
        let top = gemm.filter { $0.flops == largest }
        let plainBest = top.max { $0.plainGFLOPS < $1.plainGFLOPS }!
        let oursBest = top.max { $0.bertKitGFLOPS < $1.bertKitGFLOPS }!
        let ceiling = max(plainBest.plainGFLOPS, oursBest.bertKitGFLOPS)
        let best = seconds.min()!
        let flopPerToken = Double(config.numHiddenLayers) * (2 * Double(4 * h * h + 2 * h * i) + Double(2 * 2 * s * h))
        let gflops = flopPerToken * Double(batchSize * length) / best / 1e9
        try Bench.emit(figure: "forward", [
            "batch_size": batchSize, "length": length,
            "seconds": seconds.map { Bench.rounded($0, 4) },
            "sequences_per_s": Bench.rounded(Double(batchSize) / best, 2),
            "flop_per_token": flopPerToken,
            "gflops": Bench.rounded(gflops, 1),
            "ceiling_gflops": Bench.rounded(ceiling, 1),
            "sgemm_gflops": Bench.rounded(plainBest.plainGFLOPS, 1), "sgemm_shape": plainBest.name,
            "bertkit_gemm_gflops": Bench.rounded(oursBest.bertKitGFLOPS, 1),
            "ceiling_fraction": Bench.rounded(gflops / ceiling, 3),
            "checksum": Double(checksum),
            "vector_isa": KernelStats.vectorInstructionSet,
            // The hardware's own fp32 rate on these threads, for the sgemm ceiling's share of it.
            "fma_peak_gflops": Bench.rounded(PeakFLOPS.measure(threads: Threads.count), 1),
            "fma_isa": PeakFLOPS.instructionSet,
        ])
    }

    /// `[CLS] x… [SEP]` with `x = 1000 + (b·131 + t·17) mod 20000`: deterministic, no padding.
    static func syntheticIds(batch: Int, length: Int, cls: Int32, sep: Int32) -> [[Int32]] {
        (0..<batch).map { b in
            (0..<length).map { t in
                t == 0 ? cls : t == length - 1 ? sep : Int32(1000 + (b * 131 + t * 17) % 20000)
            }
        }
    }
}
