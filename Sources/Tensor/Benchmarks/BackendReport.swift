import CKernels
import Dispatch

/// What a bug report or a benchmark needs to know about the machine's arithmetic: the CPU, the
/// backend and the kernel each precision runs, the threads, and measured rates next to the
/// ceiling the CPU's own fused multiply-adds reach. `bertkit env` prints it; every
/// `bertkit bench` figure carries it.
public struct BackendReport: Sendable {
    public let cpu: CPUInfo
    public let backend: MatrixBackend
    public let fp32: MatrixBackend.Kernel
    public let bf16: MatrixBackend.Kernel
    public let int8: MatrixBackend.Kernel
    /// The element-wise C kernels' vectors ("avx512", "avx2", "baseline").
    public let elementwiseISA: String
    /// How attention runs at BERT-base's and MiniLM's head sizes (64, 32).
    public let attention: String
    public let threads: Int
    /// Measured on `threads` threads (nil when not measured).
    public var measured: Rates?

    public struct Rates: Sendable {
        /// The shape the products were timed on (rows × in · in × out).
        public let shape: String
        /// GFLOP/s of BertKit's fp32, bf16 and int8 (GOP/s) products on that shape.
        public let fp32: Double, bf16: Double, int8: Double
        /// GFLOP/s of fused multiply-adds at the widest vectors, on every thread at once.
        public let fmaPeak: Double
        public let fmaISA: String
    }

    public init(measure: Bool, seconds: Double = 0.3) {
        cpu = CPUInfo.current
        backend = MatrixBackend.current
        fp32 = backend.fp32Kernel
        bf16 = backend.bf16Kernel
        int8 = backend.int8Kernel
        elementwiseISA = KernelStats.vectorInstructionSet
        attention = Kernels.fusedAttention(headDim: 64) && Kernels.fusedAttention(headDim: 32)
            ? "fused per head (\(KernelStats.vectorInstructionSet))" : "strided GEMMs + softmax"
        threads = Threads.count
        measured = measure ? Self.measure(threads: threads, seconds: seconds) : nil
    }

    /// Times each precision's product on MiniLM's largest dense shape (4096 × 384 · 384 × 1536).
    static func measure(threads: Int, seconds: Double) -> Rates {
        let (m, k, n) = (4096, 384, 1536)
        var g = SeededGenerator(seed: 11)
        let x = Tensor(shape: [m, k], scalars: (0..<(m * k)).map { _ in g.nextUnit() - 0.5 })
        let w = Tensor(shape: [n, k], scalars: (0..<(n * k)).map { _ in (g.nextUnit() - 0.5) * 0.1 })
        let flops = 2.0 * Double(m * n * k)
        func rate(_ precision: Precision) -> Double {
            let time = GemmBenchmark.best(seconds: seconds / 3) {
                _ = Precision.with(precision) { withNoGrad { x.linear(weight: w, bias: nil) } }
            }
            return flops / time / 1e9
        }
        let peak = PeakFLOPS.measure(threads: threads, seconds: seconds / 3)
        return Rates(shape: "\(m)×\(k) · \(k)×\(n)", fp32: rate(.fp32), bf16: rate(.bf16), int8: rate(.int8),
                     fmaPeak: peak, fmaISA: PeakFLOPS.instructionSet)
    }

    /// Key-value pairs for JSON output, flat, with the names the benchmark tables use.
    public var fields: [(String, String)] {
        var f: [(String, String)] = [
            ("cpu_model", cpu.model), ("cpu_family", "\(cpu.family)"), ("cpu_model_number", "\(cpu.modelNumber)"),
            ("cpu_features", cpu.features.joined(separator: " ")), ("backend", backend.name),
            ("fp32_kernel", fp32.name), ("bf16_kernel", bf16.name), ("int8_kernel", int8.name),
            ("bf16_native", "\(bf16.native)"), ("int8_native", "\(int8.native)"),
            ("elementwise_isa", elementwiseISA), ("attention", attention), ("threads", "\(threads)"),
        ]
        if let r = measured {
            f += [("gemm_shape", r.shape), ("fp32_gflops", String(format: "%.1f", r.fp32)),
                  ("bf16_gflops", String(format: "%.1f", r.bf16)), ("int8_gops", String(format: "%.1f", r.int8)),
                  ("fma_peak_gflops", String(format: "%.1f", r.fmaPeak)), ("fma_isa", r.fmaISA)]
        }
        return f
    }

    /// The report as lines for a terminal.
    public var text: String {
        var lines = [
            "cpu:       \(cpu.summary)",
            "features:  \(cpu.features.isEmpty ? "(none reported)" : cpu.features.joined(separator: " "))",
            "threads:   \(threads)",
            "backend:   \(backend.name)",
            "fp32:      \(fp32)",
            "bf16:      \(bf16)\(bf16.native ? ", native" : "")",
            "int8:      \(int8)\(int8.native ? ", native" : "")",
            "elementwise kernels (exp, GELU, AdamW): \(elementwiseISA)",
            "attention: \(attention)",
        ]
        if let r = measured {
            let share = r.fmaPeak > 0 ? String(format: " (%.0f%% of it)", 100 * r.fp32 / r.fmaPeak) : ""
            lines += [
                "measured on \(threads) thread\(threads == 1 ? "" : "s"), \(r.shape):",
                String(format: "  fp32 %.1f GFLOP/s%@, bf16 %.1f GFLOP/s, int8 %.1f GOP/s", r.fp32, share, r.bf16, r.int8),
                String(format: "  what this CPU should reach in fp32: %.1f GFLOP/s (%@ fused multiply-adds, measured)", r.fmaPeak, r.fmaISA),
            ]
        }
        return lines.joined(separator: "\n")
    }
}
