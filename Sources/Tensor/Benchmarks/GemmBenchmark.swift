#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif
import Dispatch

/// Measures BertKit's matrix products against a plain loop of the backend's own call
/// (``MatrixBackend``; `cblas_sgemm` with OpenBLAS's threads for OpenBLAS) on the shapes of a
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

    /// The plain loop's product: `cblas_sgemm` with OpenBLAS's own threads when OpenBLAS is the
    /// backend; otherwise the backend's call, split across cores as BertKit splits it.
    static func plainSgemm(transB: Bool, m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                           b: UnsafePointer<Float>, ldb: Int, c: UnsafeMutablePointer<Float>, ldc: Int) {
        #if !canImport(Accelerate)
        if MatrixBackend.current == .openBLAS {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, transB ? CblasTrans : CblasNoTrans, Int32(m), Int32(n), Int32(k), 1,
                        a, Int32(lda), b, Int32(ldb), 0, c, Int32(ldc))
            return
        }
        #endif
        BLAS.sgemm(transA: false, transB: transB, m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: 0, c: c, ldc: ldc)
    }

    /// Best time of `body` over about `seconds` (at least three timed calls), after one warm-up call.
    static func best(seconds: Double, _ body: () -> Void) -> Double {
        body()
        var best = Double.infinity, calls = 0
        let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(seconds * 1e9)
        while calls < 3 || DispatchTime.now().uptimeNanoseconds < deadline {
            let start = DispatchTime.now().uptimeNanoseconds
            body()
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
            calls += 1
        }
        return best
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
                plainSgemm(transB: true, m: tokens, n: outF, k: inF, a: x.storage.pointer, lda: inF,
                           b: w.storage.pointer, ldb: inF, c: c.storage.pointer, ldc: outF)
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
                plainSgemm(transB: true, m: sequence, n: sequence, k: d, a: q.storage.pointer + i * sequence * d, lda: d,
                           b: k.storage.pointer + i * sequence * d, ldb: d,
                           c: scores.storage.pointer + i * sequence * sequence, ldc: sequence)
            }
        } }
        rows.append(Row(name: "\(pairs) × (\(sequence)×\(d) · \(d)×\(sequence)) Q·Kᵀ",
                        flops: 2.0 * Double(pairs * sequence * sequence * d), bertKitSeconds: oursQK, plainSeconds: plainQK))
        let oursPV = best(repeats) { _ = withNoGrad { p.matmul(q) } }
        let plainPV = withBLASThreads { best(repeats) {
            for i in 0..<pairs {
                plainSgemm(transB: false, m: sequence, n: d, k: sequence, a: p.storage.pointer + i * sequence * sequence,
                           lda: sequence, b: q.storage.pointer + i * sequence * d, ldb: d,
                           c: context.storage.pointer + i * sequence * d, ldc: d)
            }
        } }
        rows.append(Row(name: "\(pairs) × (\(sequence)×\(sequence) · \(sequence)×\(d)) P·V",
                        flops: 2.0 * Double(pairs * sequence * sequence * d), bertKitSeconds: oursPV, plainSeconds: plainPV))
        return rows
    }
}
