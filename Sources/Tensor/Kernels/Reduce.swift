// Vectorized row reductions (sum, max, dot, squared deviations) and a row add, for softmax and LayerNorm.

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

    /// z[j] = x[j] + y[j]   (z may be x)
    @inline(__always)
    static func add(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, into z: UnsafeMutablePointer<Float>, _ n: Int) {
        var j = 0
        while j + 16 <= n {
            UnsafeMutableRawPointer(z + j).storeBytes(of: load(x + j) + load(y + j), as: Block.self)
            j += 16
        }
        while j < n { z[j] = x[j] + y[j]; j += 1 }
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
