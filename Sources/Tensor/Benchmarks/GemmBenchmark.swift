#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif
import Dispatch

/// Measures BertKit's matrix products against a plain `cblas_sgemm` loop on the shapes of a
/// MiniLM forward pass (rows are tokens: batch × sequence). Run by `bertkit bench gemm`.
public enum GemmBenchmark {
    public struct Row: Sendable {
        public let name: String
        public let flops: Double
        /// Best seconds per call: BertKit's op (allocating its result) and the plain loop.
        public let bertKitSeconds: Double
        public let plainSeconds: Double
        public var bertKitGFLOPS: Double { flops / bertKitSeconds / 1e9 }
        public var plainGFLOPS: Double { flops / plainSeconds / 1e9 }
        /// BertKit's time over the plain loop's, minus one: the wrapper's overhead.
        public var overhead: Double { bertKitSeconds / plainSeconds - 1 }
    }

    /// Runs `body` with OpenBLAS's own threading (every BertKit thread), as a plain caller of
    /// cblas_sgemm would, then returns BLAS to the single thread BertKit drives it with.
    static func withBLASThreads<R>(_ body: () -> R) -> R {
        BLAS.setThreads(Threads.count)
        defer { BLAS.setThreads(1) }
        return body()
    }

    /// Best of `repeats` timings of `body`, after one warm-up call.
    static func best(_ repeats: Int, _ body: () -> Void) -> Double {
        body()
        var best = Double.infinity
        for _ in 0..<repeats {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
        }
        return best
    }

    /// Runs every shape; `tokens` rows (4096 = 32 × 128), hidden 384, 12 heads of 32.
    public static func run(tokens: Int = 4096, hidden: Int = 384, intermediate: Int = 1536,
                           heads: Int = 12, sequence: Int = 128, repeats: Int = 10) -> [Row] {
        var rows: [Row] = []
        func random(_ shape: [Int]) -> Tensor {
            var g = SeededGenerator(seed: UInt64(shape.reduce(7, *)))
            return Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in g.nextUnit() - 0.5 })
        }
        // Dense layers: x [tokens, in] · Wᵀ with W [out, in], as nn.Linear stores it.
        for (inF, outF) in [(hidden, hidden), (hidden, intermediate), (intermediate, hidden)] {
            let x = random([tokens, inF]), w = random([outF, inF])
            let c = Tensor(zeros: [tokens, outF])
            let ours = best(repeats) { _ = withNoGrad { x.linear(weight: w, bias: nil) } }
            let plain = withBLASThreads { best(repeats) {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(tokens), Int32(outF), Int32(inF), 1,
                            x.storage.pointer, Int32(inF), w.storage.pointer, Int32(inF), 0, c.storage.pointer, Int32(outF))
            } }
            rows.append(Row(name: "\(tokens)×\(inF) · \(inF)×\(outF)", flops: 2.0 * Double(tokens * inF * outF),
                            bertKitSeconds: ours, plainSeconds: plain))
        }
        // Attention: per (sequence, head), scores = Q·Kᵀ (seq×d · d×seq) and context = P·V (seq×seq · seq×d).
        let d = hidden / heads, pairs = tokens / sequence * heads
        let q = random([pairs, sequence, d]), k = random([pairs, sequence, d]), p = random([pairs, sequence, sequence])
        let scores = Tensor(zeros: [pairs, sequence, sequence]), context = Tensor(zeros: [pairs, sequence, d])
        let oursQK = best(repeats) { _ = withNoGrad { q.matmul(k, transposeOther: true) } }
        let plainQK = withBLASThreads { best(repeats) {
            for i in 0..<pairs {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(sequence), Int32(sequence), Int32(d), 1,
                            q.storage.pointer + i * sequence * d, Int32(d), k.storage.pointer + i * sequence * d, Int32(d),
                            0, scores.storage.pointer + i * sequence * sequence, Int32(sequence))
            }
        } }
        rows.append(Row(name: "\(pairs) × (\(sequence)×\(d) · \(d)×\(sequence)) Q·Kᵀ",
                        flops: 2.0 * Double(pairs * sequence * sequence * d), bertKitSeconds: oursQK, plainSeconds: plainQK))
        let oursPV = best(repeats) { _ = withNoGrad { p.matmul(q) } }
        let plainPV = withBLASThreads { best(repeats) {
            for i in 0..<pairs {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(sequence), Int32(d), Int32(sequence), 1,
                            p.storage.pointer + i * sequence * sequence, Int32(sequence), q.storage.pointer + i * sequence * d, Int32(d),
                            0, context.storage.pointer + i * sequence * d, Int32(d))
            }
        } }
        rows.append(Row(name: "\(pairs) × (\(sequence)×\(sequence) · \(sequence)×\(d)) P·V",
                        flops: 2.0 * Double(pairs * sequence * sequence * d), bertKitSeconds: oursPV, plainSeconds: plainPV))
        return rows
    }
}
