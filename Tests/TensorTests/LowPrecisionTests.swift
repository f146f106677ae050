import CKernels
import Synchronization
@testable import Tensor
import TestSupport
import XCTest

/// bf16 and int8 dense layers against references written out here, and the backend's choice of
/// kernels. Tolerances: a product of n terms in float differs from the Double reference by about
/// n·2⁻²⁴ of the magnitudes summed; the tests allow 1e-4 relative to the largest output.
final class LowPrecisionTests: XCTestCase {
    /// bf16 rounding of one float, written from the definition: keep the top 16 bits, round to
    /// nearest with ties to even.
    func bf16(_ x: Float) -> Float {
        let bits = x.bitPattern
        let lower = bits & 0xFFFF, upper = bits >> 16
        let roundUp = lower > 0x8000 || (lower == 0x8000 && upper & 1 == 1)
        return Float(bitPattern: (roundUp ? upper + 1 : upper) << 16)
    }

    func testBF16RoundsToNearestEven() {
        let values: [Float] = [0, -0, 1, 1.00390625, 1.0078125, 1 + 3 / 256, 3.14159265, -2.7182817, 1e-30, 65504, 3e38, -Float.infinity]
        var bits = [UInt16](repeating: 0, count: values.count)
        bertkit_f32_to_bf16(values, &bits, values.count)
        var back = [Float](repeating: 0, count: values.count)
        bertkit_bf16_to_f32(bits, &back, values.count)
        for (v, b) in zip(values, back) { XCTAssertEqual(b.bitPattern, bf16(v).bitPattern, "\(v)") }
        var nan = [UInt16](repeating: 0, count: 1)
        bertkit_f32_to_bf16([Float.nan], &nan, 1)
        var nanBack: [Float] = [0]
        bertkit_bf16_to_f32(nan, &nanBack, 1)
        XCTAssertTrue(nanBack[0].isNaN)
    }

    /// y = x·Wᵀ + b in Double over the given (already rounded) operands.
    func reference(_ x: [Float], _ w: [Float], _ b: [Float]?, rows: Int, inF: Int, outF: Int) -> [Float] {
        (0..<rows).flatMap { r in
            (0..<outF).map { j in
                var s = Double(b?[j] ?? 0)
                for k in 0..<inF { s += Double(x[r * inF + k]) * Double(w[j * inF + k]) }
                return Float(s)
            }
        }
    }

    let shapes: [(rows: Int, inF: Int, outF: Int)] = [(1, 1, 1), (3, 5, 7), (17, 33, 9), (130, 64, 96), (600, 384, 300)]

    /// What bf16 does to an operand here: rounds it where bf16 runs in hardware; elsewhere bf16
    /// runs as fp32 (``LowPrecision/running(_:)``) and leaves it as it is.
    func bf16Operand(_ x: Float) -> Float { LowPrecision.hasBF16Products ? bf16(x) : x }

    func testBF16LinearMultipliesRoundedOperandsInFloat() {
        XCTAssertEqual(LowPrecision.running(.bf16), LowPrecision.hasBF16Products ? .bf16 : .fp32)
        for (rows, inF, outF) in shapes {
            let x = Tensor.random([rows, inF], seed: 3), w = Tensor.random([outF, inF], seed: 4), b = Tensor.random([outF], seed: 5)
            let y = Precision.with(.bf16) { withNoGrad { x.linear(weight: w, bias: b) } }
            let expected = reference(x.scalars.map(bf16Operand), w.scalars.map(bf16Operand), b.scalars, rows: rows, inF: inF, outF: outF)
            let scale = expected.map(abs).max()!
            assertClose(y.scalars, expected, tolerance: 1e-4 * max(scale, 1), "bf16 \(rows)×\(inF)·\(inF)×\(outF)")
        }
    }

    /// The int8 scheme written out: per-row asymmetric u8 activations, per-channel symmetric s8 weights.
    func int8Reference(_ x: [Float], _ w: [Float], _ b: [Float], rows: Int, inF: Int, outF: Int, limit: Float) -> [Float] {
        func roundEven(_ v: Float) -> Float { v.rounded(.toNearestOrEven) }
        var wq = [Float](repeating: 0, count: w.count), ws = [Float](repeating: 0, count: outF)
        for j in 0..<outF {
            let row = w[(j * inF)..<((j + 1) * inF)]
            let m = row.map(abs).max()!
            ws[j] = m > 0 ? m / limit : 1
            for k in 0..<inF { wq[j * inF + k] = min(max(roundEven(w[j * inF + k] / ws[j]), -limit), limit) }
        }
        var out = [Float](repeating: 0, count: rows * outF)
        for r in 0..<rows {
            let row = Array(x[(r * inF)..<((r + 1) * inF)])
            let lo = min(row.min()!, 0), hi = max(row.max()!, 0)
            var s = (hi - lo) / 255
            if !(s > 0) { s = 1 }
            let z = min(max(roundEven(-lo / s), 0), 255)
            let q = row.map { min(max(roundEven($0 * (1 / s)) + z, 0), 255) }
            for j in 0..<outF {
                var acc: Double = 0
                for k in 0..<inF { acc += Double(q[k] - z) * Double(wq[j * inF + k]) }
                out[r * outF + j] = Float(acc) * (s * ws[j]) + b[j]
            }
        }
        return out
    }

    func testInt8LinearFollowsTheQuantizationScheme() {
        for (rows, inF, outF) in shapes {
            let x = Tensor.random([rows, inF], seed: 6), w = Tensor.random([outF, inF], seed: 7), b = Tensor.random([outF], seed: 8)
            let y = Precision.with(.int8) { withNoGrad { x.linear(weight: w, bias: b) } }
            let expected = int8Reference(x.scalars, w.scalars, b.scalars, rows: rows, inF: inF, outF: outF,
                                         limit: Float(LowPrecision.int8WeightLimit))
            let scale = expected.map(abs).max()!
            assertClose(y.scalars, expected, tolerance: 1e-4 * max(scale, 1), "int8 \(rows)×\(inF)·\(inF)×\(outF)")
            // And the scheme stays near the float product: each term is off by at most half a step of
            // x (2/255) and of w (1/127) times the other operand (≤ 1), so the sum of k terms is off
            // by about √k · 0.006 (random signs); allow 5 standard deviations.
            let exact = reference(x.scalars, w.scalars, b.scalars, rows: rows, inF: inF, outF: outF)
            let worst = zip(y.scalars, exact).map { abs($0 - $1) }.max()!
            XCTAssertLessThan(worst, 5 * 0.006 * Float(inF).squareRoot() + 0.01, "int8 error \(worst) for k = \(inF)")
        }
    }

    /// The int8 kernel for CPUs without VNNI is exact where u8·s8 pairs summed in 16 bits overflow
    /// (255·127·2 > 32767), in each build, with remainders in rows, columns and k.
    func testMadd16ProductIsExactWhereSixteenBitPairsOverflow() {
        for (m, n, k) in [(1, 1, 1), (7, 17, 33), (13, 40, 384), (6, 16, 2), (6, 32, 50)] {
            var a = [UInt8](repeating: 0, count: m * k), w = [Int8](repeating: 0, count: n * k)
            var seed: UInt64 = 1
            func next() -> Int { seed = seed &* 6364136223846793005 &+ 1442695040888963407; return Int(seed >> 33) }
            for i in a.indices { a[i] = i % 3 == 0 ? 255 : UInt8(next() % 256) }
            for i in w.indices { w[i] = i % 3 == 0 ? (i % 2 == 0 ? 127 : -127) : Int8(next() % 255 - 127) }
            var packed = [Int16](repeating: 0, count: bertkit_madd16_packed_count(n, k))
            bertkit_madd16_pack(w, n, k, &packed)
            var expected = [Int32](repeating: 0, count: m * n)
            for r in 0..<m { for j in 0..<n { expected[r * n + j] = Int32((0..<k).reduce(0) { $0 + Int(a[r * k + $1]) * Int(w[j * k + $1]) }) } }
            forEachInstructionSet { isa in
                var c = [Int32](repeating: -1, count: m * n)
                XCTAssertEqual(bertkit_gemm_u8s8_madd16(m, n, k, a, k, packed, &c, n), 0)
                XCTAssertEqual(c, expected, "\(isa) \(m)×\(k) · \(k)×\(n)")
            }
        }
    }

    func testSideBySideLinearEqualsSeparateLayersWithGradients() {
        let x = Tensor.random([5, 6], seed: 9, requiresGrad: true)
        let ws = (0..<3).map { Tensor.random([[4, 2, 3][$0], 6], seed: 10 + UInt64($0), requiresGrad: true) }
        let bs = (0..<3).map { Tensor.random([[4, 2, 3][$0]], seed: 20 + UInt64($0), requiresGrad: true) }
        let joined = x.linear(weights: ws, biases: bs)
        let separate = Tensor.concat((0..<3).map { x.linear(weight: ws[$0], bias: bs[$0]) }, axis: 1)
        XCTAssertEqual(joined.shape, [5, 9])
        assertClose(joined.scalars, separate.scalars, tolerance: 1e-6)
        assertGradients([x] + ws + bs, "linear×3") { t in t[0].linear(weights: Array(t[1...3]), biases: Array(t[4...6])) }
        for precision in [Precision.fp32, .bf16, .int8] {
            let a = Precision.with(precision) { withNoGrad { x.linear(weights: ws, biases: bs) } }
            let b = Precision.with(precision) { withNoGrad { Tensor.concat((0..<3).map { x.linear(weight: ws[$0], bias: bs[$0]) }, axis: 1) } }
            assertClose(a.scalars, b.scalars, tolerance: 1e-6, "\(precision)")
        }
    }

    /// Mixed precision: the backward products take bf16 operands too, so the gradients equal the
    /// float gradients of the bf16-rounded operands.
    func testBF16TrainingGradientsUseRoundedOperands() {
        let (rows, inF, outF) = (9, 12, 7)
        let x = Tensor.random([rows, inF], seed: 30, requiresGrad: true)
        let w = Tensor.random([outF, inF], seed: 31, requiresGrad: true)
        let b = Tensor.random([outF], seed: 32, requiresGrad: true)
        let upstream = Tensor.random([rows, outF], seed: 33)
        Precision.with(.bf16) { (x.linear(weight: w, bias: b) * upstream).sum().backward() }
        let g = upstream.scalars.map(bf16Operand)
        let xr = x.scalars.map(bf16Operand), wr = w.scalars.map(bf16Operand)
        var dx = [Float](repeating: 0, count: rows * inF), dw = [Float](repeating: 0, count: outF * inF)
        for r in 0..<rows { for k in 0..<inF { dx[r * inF + k] = Float((0..<outF).reduce(0.0) { $0 + Double(g[r * outF + $1]) * Double(wr[$1 * inF + k]) }) } }
        for j in 0..<outF { for k in 0..<inF { dw[j * inF + k] = Float((0..<rows).reduce(0.0) { $0 + Double(g[$1 * outF + j]) * Double(xr[$1 * inF + k]) }) } }
        assertClose(x.grad!.scalars, dx, tolerance: 1e-4)
        assertClose(w.grad!.scalars, dw, tolerance: 1e-4)
        let db = (0..<outF).map { j in (0..<rows).reduce(Float(0)) { $0 + upstream.scalars[$1 * outF + j] } }
        assertClose(b.grad!.scalars, db, tolerance: 1e-5)
    }

    /// A weight changed in place (an optimizer step) is converted again, never served stale.
    func testPackedWeightsFollowInPlaceChanges() {
        let x = Tensor.random([4, 8], seed: 50), w = Tensor.random([5, 8], seed: 51)
        for precision in [Precision.bf16, .int8] {
            let before = Precision.with(precision) { withNoGrad { x.linear(weight: w, bias: nil) } }.scalars
            w.withUnsafeMutableBufferPointer { for i in $0.indices { $0[i] *= -2 } }
            let after = Precision.with(precision) { withNoGrad { x.linear(weight: w, bias: nil) } }.scalars
            assertClose(after, before.map { -2 * $0 }, tolerance: 2e-2 * before.map(abs).max()!, "\(precision)")
            w.withUnsafeMutableBufferPointer { for i in $0.indices { $0[i] /= -2 } }
        }
    }

    /// In fp32 inference the side-by-side weights are stacked once and multiplied in one product;
    /// a change to any of them in place (an optimizer step) is followed, never served stale.
    func testStackedWeightsFollowInPlaceChanges() {
        let x = Tensor.random([4, 8], seed: 52)
        let ws = (0..<3).map { Tensor.random([3, 8], seed: 53 + UInt64($0)) }
        func separate() -> [Float] { Tensor.concat(ws.map { x.linear(weight: $0, bias: nil) }, axis: 1).scalars }
        let first = withNoGrad { x.linear(weights: ws, biases: nil) }.scalars
        assertClose(first, separate(), tolerance: 1e-6)
        ws[1].withUnsafeMutableBufferPointer { for i in $0.indices { $0[i] *= -2 } }
        let second = withNoGrad { x.linear(weights: ws, biases: nil) }.scalars
        assertClose(second, separate(), tolerance: 1e-6)
        XCTAssertGreaterThan(maxAbsDifference(first, second), 0.1, "the changed weight's columns must change")
        Tensor.weightsDidChange()
        let fresh = (0..<3).map { Tensor.random([3, 8], seed: 60 + UInt64($0)) }
        assertClose(withNoGrad { x.linear(weights: fresh, biases: nil) }.scalars,
                    Tensor.concat(fresh.map { x.linear(weight: $0, bias: nil) }, axis: 1).scalars, tolerance: 1e-6)
    }

    /// Precision reaches the threads that parallel work runs on.
    func testPrecisionReachesParallelWork() {
        let seen = Mutex<[Precision]>([])
        Precision.with(.int8) {
            Threads.parallelBlocks(2) { _ in seen.withLock { $0.append(Precision.current) } }
        }
        XCTAssertEqual(seen.withLock { $0 }, [.int8, .int8])
        XCTAssertEqual(Precision.current, .fp32)
    }
}

/// Which kernels the backend chose, from the CPU's features.
final class BackendChoiceTests: XCTestCase {
    /// On a CPU with AVX2 or AVX-512, fp32 products never run a library's generic kernels, and the
    /// kernel's instruction set is the widest the CPU has (oneDNN names it after its ISA).
    func testFP32KernelIsNotGenericOnAVXMachines() {
        let cpu = CPUInfo.current
        let kernel = MatrixBackend.current.fp32Kernel
        XCTAssertTrue(kernel.native, "fp32 runs \(kernel) on \(cpu.summary) with \(cpu.features)")
        #if arch(x86_64) && os(Linux)
        XCTAssertEqual(MatrixBackend.current, .oneDNN, "x86-64 Linux runs oneDNN by default")
        if cpu.has("avx512f") {
            XCTAssertTrue(kernel.isa.hasPrefix("avx512"), "AVX-512 CPU, kernel \(kernel)")
        } else if cpu.has("avx2") {
            XCTAssertTrue(kernel.isa.hasPrefix("avx2") || kernel.isa.hasPrefix("avx512"), "AVX2 CPU, kernel \(kernel)")
        }
        XCTAssertEqual(LowPrecision.hasBF16Products, cpu.hasNativeBF16, "bf16 products run where the CPU has bf16 instructions")
        XCTAssertEqual(LowPrecision.hasInt8Products, cpu.hasNativeInt8, "oneDNN's int8 kernels run where the CPU has VNNI")
        #endif
    }

    /// The generic OpenBLAS core names that trigger the warning (what Debian 12's OpenBLAS runs on
    /// CPUs newer than it), and a real core name that does not.
    func testGenericOpenBLASCoresAreRecognised() {
        for core in ["Prescott", "Core2", "Nehalem", "Katmai"] { XCTAssertTrue(MatrixBackend.isGenericOpenBLASCore(core), core) }
        for core in ["Haswell", "SkylakeX", "Cooperlake", "Zen", "NeoverseN1"] { XCTAssertFalse(MatrixBackend.isGenericOpenBLASCore(core), core) }
    }

    func testCPUFeaturesComeFromCPUID() {
        let cpu = CPUInfo.current
        XCTAssertFalse(cpu.model.isEmpty)
        #if arch(x86_64)
        XCTAssertTrue(cpu.has("sse4.2") || cpu.features.isEmpty == false, "\(cpu.features)")
        if cpu.has("avx512f") { XCTAssertTrue(cpu.has("avx2"), "AVX-512 CPUs have AVX2") }
        #endif
        // The measured ceiling is a positive rate on one thread.
        XCTAssertGreaterThan(PeakFLOPS.measure(threads: 1, seconds: 0.02), 1)
    }
}
