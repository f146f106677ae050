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
