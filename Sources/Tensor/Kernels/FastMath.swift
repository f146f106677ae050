// exp and erf for Float without libm calls, accurate to a few units in the last place, for the
// kernels that would otherwise spend their time in libm (GELU, softmax). Written as branch-free
// scalar code so that the compiler vectorizes the loops calling them. Tests compare with libm.

enum FastMath {
    /// e^x. Range reduction x = n·ln2 + r with |r| ≤ ln2/2 (ln2 split in two parts so r is exact),
    /// a degree-6 polynomial for e^r, and 2^n built in the exponent bits. Inputs below −87.3 give 0
    /// and above 88.7 give +∞, as expf does.
    @inline(__always)
    static func exp(_ x: Float) -> Float {
        let c = min(max(x, -87.3), 88.7)
        // Adding 1.5·2²³ rounds c·log2(e) to an integer n held in the low mantissa bits of t.
        let t = c * 1.442695040888963 + 12582912
        let n = t - 12582912
        var r = c - n * 0.693145751953125   // ln2, high part (exact in Float)
        r = r - n * 1.428606765330187e-06    // ln2, low part
        // e^r ≈ 1 + r + r²/2! + … + r⁶/6!, Horner form.
        var p: Float = 1.0 / 720
        p = p * r + 1.0 / 120
        p = p * r + 1.0 / 24
        p = p * r + 1.0 / 6
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        // 2^n: n + 127 in the exponent field (n is t's bit pattern minus that of 1.5·2²³).
        let scale = Float(bitPattern: (t.bitPattern &- 0x4B40_0000 &+ 127) &<< 23)
        let y = p * scale
        return x < -87.3 ? 0 : (x > 88.7 ? .infinity : y)
    }

    /// erf(x) as an odd rational function on [−4, 4] (erf is ±1 in Float beyond), with the
    /// monomial coefficients of the well-known single-precision minimax approximation.
    @inline(__always)
    static func erf(_ xIn: Float) -> Float {
        let x = min(max(xIn, -4), 4)
        let x2 = x * x
        var p = x2 * -2.72614225801306e-10 + 2.77068142495902e-08
        p = x2 * p + -2.10102402082508e-06
        p = x2 * p + -5.69250639462346e-05
        p = x2 * p + -7.34990630326855e-04
        p = x2 * p + -2.95459980854025e-03
        p = x2 * p + -1.60960333262415e-02
        p = x * p
        var q = x2 * -1.45660718464996e-05 + -2.13374055278905e-04
        q = x2 * q + -1.68282697438203e-03
        q = x2 * q + -7.37332916720468e-03
        q = x2 * q + -1.42647390514189e-02
        return p / q
    }
}

/// Row reductions in 16-lane blocks. A plain `for` loop that sums Floats runs one add at a time,
/// because the compiler may not reorder floating-point additions; these keep 16 partial results,
/// so the loop vectorizes. The result differs from a serial sum by rounding only.
enum Reduce {
    typealias Block = SIMD16<Float>

    @inline(__always)
    static func load(_ p: UnsafePointer<Float>) -> Block {
        UnsafeRawPointer(p).loadUnaligned(as: Block.self)
    }

    /// Σ x[j]
    @inline(__always)
    static func sum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = Block(repeating: 0), j = 0
        while j + 16 <= n { acc += load(x + j); j += 16 }
        var total = acc.sum()
        while j < n { total += x[j]; j += 1 }
        return total
    }

    /// max x[j] (−∞ for an empty row). Eight running maxima as plain comparisons, which the
    /// compiler turns into vector max instructions (SIMD's `pointwiseMax` does not).
    @inline(__always)
    static func max(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var m = (-Float.infinity, -Float.infinity, -Float.infinity, -Float.infinity,
                 -Float.infinity, -Float.infinity, -Float.infinity, -Float.infinity)
        var j = 0
        while j + 8 <= n {
            m.0 = x[j] > m.0 ? x[j] : m.0; m.1 = x[j + 1] > m.1 ? x[j + 1] : m.1
            m.2 = x[j + 2] > m.2 ? x[j + 2] : m.2; m.3 = x[j + 3] > m.3 ? x[j + 3] : m.3
            m.4 = x[j + 4] > m.4 ? x[j + 4] : m.4; m.5 = x[j + 5] > m.5 ? x[j + 5] : m.5
            m.6 = x[j + 6] > m.6 ? x[j + 6] : m.6; m.7 = x[j + 7] > m.7 ? x[j + 7] : m.7
            j += 8
        }
        var best = Swift.max(Swift.max(Swift.max(m.0, m.1), Swift.max(m.2, m.3)),
                             Swift.max(Swift.max(m.4, m.5), Swift.max(m.6, m.7)))
        while j < n { best = x[j] > best ? x[j] : best; j += 1 }
        return best
    }

    /// Σ x[j]·y[j]
    @inline(__always)
    static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc = Block(repeating: 0), j = 0
        while j + 16 <= n { acc += load(x + j) * load(y + j); j += 16 }
        var total = acc.sum()
        while j < n { total += x[j] * y[j]; j += 1 }
        return total
    }

    /// Σ (x[j] − center)²
    @inline(__always)
    static func squaredDeviations(_ x: UnsafePointer<Float>, _ n: Int, from center: Float) -> Float {
        var acc = Block(repeating: 0), j = 0
        let c = Block(repeating: center)
        while j + 16 <= n { let d = load(x + j) - c; acc += d * d; j += 16 }
        var total = acc.sum()
        while j < n { let d = x[j] - center; total += d * d; j += 1 }
        return total
    }
}
