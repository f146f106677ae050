// Dense layers in bf16 and int8 (see ``Precision``).
//
// bf16:  y = bf16(x) · bf16(W)ᵀ, accumulated in float.
//        backward (training): dx += bf16(dy)·bf16(W),  dW += bf16(dy)ᵀ·bf16(x).
// int8:  x ≈ sx_r·(qx − zx_r) per row (qx in 0…255), W ≈ sw_j·qw per output channel (qw in −127…127):
//        y[r, j] = sx_r·sw_j·(Σ_k qx·qw − zx_r·Σ_k qw) + b[j].
//
// Inference converts each weight once and keeps it (``PackedWeight``); training converts the
// weights of every call, since they change every step.
import CKernels
import COneDNN
import Synchronization

/// A dense layer's weight `[out, in]` converted for one lower precision.
final class PackedWeight: @unchecked Sendable {   // raw buffers, written in init only, then read by any thread
    let precision: Precision
    let rows: Int, cols: Int
    /// bf16 bits (bf16), or int8 values (int8), rows × cols.
    let bf16: UnsafeMutablePointer<UInt16>?
    let int8: UnsafeMutablePointer<Int8>?
    /// int8: the scale of each row and the sum of its quantized values.
    let scale: UnsafeMutablePointer<Float>?
    let sum: UnsafeMutablePointer<Int32>?
    /// int8 without VNNI: the values widened to 16 bits in the layout of `bertkit_gemm_u8s8_madd16`.
    let madd16: UnsafeMutablePointer<Int16>?

    init(_ weight: UnsafePointer<Float>, rows: Int, cols: Int, precision: Precision) {
        precondition(precision != .fp32, "fp32 weights need no packing")
        self.precision = precision
        self.rows = rows
        self.cols = cols
        let n = rows * cols
        if precision == .bf16 {
            let bits = UnsafeMutablePointer<UInt16>.allocate(capacity: max(n, 1))
            bertkit_f32_to_bf16(weight, bits, n)
            bf16 = bits
            int8 = nil; scale = nil; sum = nil; madd16 = nil
        } else {
            let q = UnsafeMutablePointer<Int8>.allocate(capacity: max(n, 1))
            let s = UnsafeMutablePointer<Float>.allocate(capacity: max(rows, 1))
            let sums = UnsafeMutablePointer<Int32>.allocate(capacity: max(rows, 1))
            bertkit_quantize_weights_s8(weight, rows, cols, LowPrecision.int8WeightLimit, q, s, sums)
            int8 = q; scale = s; sum = sums
            bf16 = nil
            if LowPrecision.hasInt8Products {
                madd16 = nil
            } else {
                let count = bertkit_madd16_packed_count(rows, cols)
                let packed = UnsafeMutablePointer<Int16>.allocate(capacity: max(count, 1))
                bertkit_madd16_pack(q, rows, cols, packed)
                madd16 = packed
            }
        }
    }

    deinit {
        bf16?.deallocate(); int8?.deallocate(); scale?.deallocate(); sum?.deallocate(); madd16?.deallocate()
    }
}

enum LowPrecision {
    /// Whether bf16 products run in hardware: the backend multiplies bf16 operands and the CPU has
    /// bf16 instructions (AVX512-BF16 or AMX). oneDNN also converts bf16 in software on AVX-512
    /// CPUs without them, which is slower than fp32.
    static let hasBF16Products: Bool = {
        guard MatrixBackend.current == .oneDNN, CPUInfo.current.hasNativeBF16 else { return false }
        var a: [UInt16] = [0x3F80], b: [UInt16] = [0x4000]   // 1 and 2
        var c: [Float] = [0]
        let status = bertkit_dnnl_gemm_bf16(0, 1, 1, 1, 1, &a, 1, &b, 1, 0, &c, 1)
        return status == 0 && c[0] == 2
    }()

    /// The precision the dense layers really run in when `requested` is asked for: bf16 only where
    /// it runs in hardware (``hasBF16Products``). Elsewhere bf16 operands would be widened back to
    /// float, slower than fp32 (0.87× in fine-tuning); fp32 is faster there and at least as exact.
    static func running(_ requested: Precision) -> Precision {
        requested == .bf16 && !hasBF16Products ? .fp32 : requested
    }

    /// Whether oneDNN runs the int8 products: where the CPU has VNNI (or AMX). Without it, oneDNN's
    /// u8·s8 kernels add pairs of products in 16 bits, which only 7-bit weights keep from
    /// overflowing; BertKit's own 16-bit kernel (`bertkit_gemm_u8s8_madd16`) keeps all 8.
    static let hasInt8Products: Bool = MatrixBackend.current == .oneDNN && CPUInfo.current.hasNativeInt8

    /// The largest int8 weight magnitude: weights use all 8 bits on every CPU.
    static let int8WeightLimit: Int32 = 127

    // MARK: Packed weights

    private struct Key: Hashable {
        let storage: ObjectIdentifier
        let precision: Precision
    }

    private struct Entry: Sendable {
        // `storage` is weak so a freed weight's address, reused by another, never matches.
        weak var storage: Storage?
        let packed: PackedWeight
    }

    private static let cache = Mutex<[Key: Entry]>([:])

    /// `weight` converted to `precision`, made on first use and kept while the weight lives.
    static func packed(_ weight: Tensor, _ precision: Precision) -> PackedWeight {
        let key = Key(storage: ObjectIdentifier(weight.storage), precision: precision)
        if let hit = cache.withLock({ $0[key] }), hit.storage === weight.storage { return hit.packed }
        let packed = PackedWeight(weight.storage.pointer, rows: weight.shape[0], cols: weight.shape[1], precision: precision)
        cache.withLock { entries in
            entries = entries.filter { $0.value.storage != nil }
            entries[key] = Entry(storage: weight.storage, packed: packed)
            isEmpty.store(false, ordering: .releasing)
        }
        return packed
    }

    /// Whether any weight is packed: a cheap check before taking the lock.
    private static let isEmpty = Atomic<Bool>(true)

    /// Forgets the packed copies of `storage` (every one when nil): its values are changing.
    static func invalidate(_ storage: Storage? = nil) {
        if isEmpty.load(ordering: .acquiring) { return }
        cache.withLock { entries in
            if let storage {
                entries = entries.filter { $0.key.storage != ObjectIdentifier(storage) && $0.value.storage != nil }
            } else {
                entries.removeAll()
            }
            joinedCache.withLock { joined in
                if let storage {
                    joined = joined.filter { entry in
                        entry.parts.allSatisfy { $0.storage != nil && $0.storage !== storage }
                    }
                } else {
                    joined.removeAll()
                }
                isEmpty.store(entries.isEmpty && joined.isEmpty, ordering: .releasing)
            }
        }
    }

    // MARK: Joined fp32 weights

    private struct WeakStorage: Sendable {
        weak var storage: Storage?
    }

    /// The stacked weight as its memory and shape (a Tensor is not Sendable).
    private struct JoinedEntry: Sendable {
        let parts: [WeakStorage]
        let storage: Storage, shape: [Int]
        func matches(_ weights: [Tensor]) -> Bool {
            parts.count == weights.count && zip(parts, weights).allSatisfy { $0.storage === $1.storage }
        }
    }

    private static let joinedCache = Mutex<[JoinedEntry]>([])

    /// Several fp32 weights `[out_i, in]` stacked into one `[Σ out_i, in]`, made on first use and
    /// kept while they live and do not change: one product with every output column (BERT's
    /// query, key and value) runs 15–20% faster than one product per weight, each of which reads
    /// the whole input again.
    static func joined(_ weights: [Tensor]) -> Tensor {
        if let hit = joinedCache.withLock({ $0.first { $0.matches(weights) } }) { return Tensor(shape: hit.shape, storage: hit.storage) }
        let joined = Tensor.concat(weights, axis: 0)
        cache.withLock { _ in
            joinedCache.withLock { entries in
                entries = entries.filter { $0.parts.allSatisfy { $0.storage != nil } }
                entries.append(JoinedEntry(parts: weights.map { WeakStorage(storage: $0.storage) }, storage: joined.storage, shape: joined.shape))
            }
            isEmpty.store(false, ordering: .releasing)
        }
        return joined
    }

    // MARK: bf16 products

    /// Scratch memory of `count` elements of `T`, from the tensor buffer pool: pages a recent pass
    /// already faulted in, instead of fresh ones from the system (which cost a page fault and a
    /// zeroing each, a fifth of a bf16 training step before this).
    final class Scratch<T> {
        private let storage: Storage
        private let floats: Int
        let pointer: UnsafeMutablePointer<T>

        init(_ count: Int) {
            floats = max((count * MemoryLayout<T>.stride + 3) / 4, 1)
            storage = Storage(count: floats, zeroed: false)
            pointer = UnsafeMutableRawPointer(storage.pointer).bindMemory(to: T.self, capacity: max(count, 1))
        }

        deinit {
            // Back to floats before the pool hands the memory to a tensor.
            _ = UnsafeMutableRawPointer(storage.pointer).bindMemory(to: Float.self, capacity: floats)
        }
    }

    /// bf16 bits of `count` floats, in pooled scratch memory.
    final class BF16Buffer {
        private let scratch: Scratch<UInt16>
        var pointer: UnsafeMutablePointer<UInt16> { scratch.pointer }
        init(_ source: UnsafePointer<Float>, count: Int) {
            scratch = Scratch(count)
            bertkit_f32_to_bf16(source, scratch.pointer, count)
        }
    }

    /// Row-major C[m×n] (+)= op(A)·op(B) with bf16 operands and float accumulation, split across
    /// cores as ``BLAS/sgemm``. Only where ``hasBF16Products``.
    static func gemmBF16(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        a: UnsafePointer<UInt16>, lda: Int, b: UnsafePointer<UInt16>, ldb: Int,
        accumulate: Bool, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        WorkCounters.countProducts()
        BLAS.forEachBlock(m: m, n: n, k: k) { rows, cols in
            let aBlock = BLAS.blockOfA(a, rows: rows, transposed: transA, ld: lda)
            let bBlock = BLAS.blockOfB(b, cols: cols, transposed: transB, ld: ldb)
            let cBlock = c + rows.lowerBound * ldc + cols.lowerBound
            if k == 0 {
                if !accumulate { for r in 0..<rows.count { (cBlock + r * ldc).update(repeating: 0, count: cols.count) } }
                return
            }
            let status = bertkit_dnnl_gemm_bf16(transA ? 1 : 0, transB ? 1 : 0, Int64(rows.count), Int64(cols.count), Int64(k),
                                                aBlock, Int64(lda), bBlock, Int64(ldb), accumulate ? 1 : 0, cBlock, Int64(ldc))
            precondition(status == 0, "oneDNN bf16 product failed for \(rows.count)×\(k) · \(k)×\(cols.count)")
        }
    }

    // MARK: Inference with packed weights

    /// y[r, offsets[i] + j] = x[r, :] · W_i[j, :] (+ y when `accumulate`) for each packed weight W_i,
    /// with the input converted (bf16) or quantized (int8) once for all of them. int8 adds
    /// `biases[i]` in its epilogue; bf16 expects the bias already in y (`accumulate`).
    /// Rows are split across cores when the products are large and no parallel work is running.
    static func linearPacked(
        _ x: UnsafePointer<Float>, rows: Int, inFeatures k: Int, weights: [PackedWeight], offsets: [Int],
        biases: [UnsafePointer<Float>?], accumulate: Bool, y: UnsafeMutablePointer<Float>, ldy: Int
    ) {
        guard rows > 0, let precision = weights.first?.precision else { return }
        for w in weights {
            precondition(w.cols == k && w.precision == precision, "packed weight \(w.rows)×\(w.cols) for \(k) inputs")
        }
        precondition(precision != .int8 || !accumulate, "int8 products write their output")
        WorkCounters.countProducts(weights.count)
        let total = weights.reduce(0) { $0 + $1.rows }
        let threads = Threads.count
        let parts = threads > 1 && rows * total * k >= BLAS.splitThreshold && !Threads.isInParallelRegion
            ? min(threads, Swift.max(1, rows / 16)) : 1
        Threads.parallelBlocks(parts) { part in
            let start = rows * part / parts, end = rows * (part + 1) / parts
            guard start < end else { return }
            let m = end - start
            let xBlock = x + start * k, yRows = y + start * ldy
            switch precision {
            case .bf16:
                let xb = BF16Buffer(xBlock, count: m * k)
                for (i, w) in weights.enumerated() {
                    multiplyBF16(xb.pointer, rows: m, k: k, w, accumulate: accumulate, y: yRows + offsets[i], ldy: ldy)
                }
            case .int8:
                let q = Scratch<UInt8>(m * k), scale = Scratch<Float>(m), zero = Scratch<Int32>(m)
                bertkit_quantize_rows_u8(xBlock, m, k, q.pointer, scale.pointer, zero.pointer)
                for (i, w) in weights.enumerated() {
                    multiplyInt8(q.pointer, scale.pointer, zero.pointer, rows: m, k: k, w, bias: biases[i],
                                 y: yRows + offsets[i], ldy: ldy)
                }
            case .fp32:
                preconditionFailure("fp32 weights are not packed")
            }
        }
    }

    /// y[m×n] (+)= bf16 rows · Wᵀ, on this thread.
    private static func multiplyBF16(_ x: UnsafePointer<UInt16>, rows m: Int, k: Int, _ w: PackedWeight,
                                     accumulate: Bool, y: UnsafeMutablePointer<Float>, ldy: Int) {
        let n = w.rows
        let status = bertkit_dnnl_gemm_bf16(0, 1, Int64(m), Int64(n), Int64(k), x, Int64(k), w.bf16!, Int64(k),
                                            accumulate ? 1 : 0, y, Int64(ldy))
        precondition(status == 0, "oneDNN bf16 product failed for \(m)×\(k) · \(k)×\(n)")
    }

    /// y[m×n] = dequantized (quantized rows · qWᵀ) + bias, on this thread.
    private static func multiplyInt8(_ q: UnsafePointer<UInt8>, _ scale: UnsafePointer<Float>, _ zero: UnsafePointer<Int32>,
                                     rows m: Int, k: Int, _ w: PackedWeight, bias: UnsafePointer<Float>?,
                                     y: UnsafeMutablePointer<Float>, ldy: Int) {
        let n = w.rows
        let status = y.withMemoryRebound(to: Int32.self, capacity: (m - 1) * ldy + n) { acc in
            if let madd16 = w.madd16 {
                return bertkit_gemm_u8s8_madd16(m, n, k, q, k, madd16, acc, ldy)
            }
            return bertkit_dnnl_gemm_u8s8s32(1, Int64(m), Int64(n), Int64(k), q, Int64(k), w.int8!, Int64(k), acc, Int64(ldy))
        }
        precondition(status == 0, "int8 product failed for \(m)×\(k) · \(k)×\(n)")
        bertkit_dequantize_s32(y, m, n, ldy, scale, zero, w.scale!, w.sum!, bias)
    }
}

extension Tensor {
    /// Forgets the bf16 and int8 copies of weights made for inference. Call it after changing
    /// weights in place outside an optimizer (optimizers call it on every step).
    public static func weightsDidChange() {
        LowPrecision.invalidate()
    }
}
