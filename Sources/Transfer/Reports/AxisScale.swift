import Foundation

/// A linear axis with "nice" ticks (1, 2 or 5 times a power of ten) covering a data range, after
/// Heckbert's "Nice numbers for graph labels" (Graphics Gems, 1990).
struct AxisScale: Equatable {
    var lower: Double
    var upper: Double
    var step: Double

    /// A scale covering `min...max` with about `ticks` ticks; a step of at least `minimumStep`.
    init(min: Double, max: Double, ticks: Int = 6, minimumStep: Double = 0) {
        var lo = min, hi = max
        if !(lo.isFinite && hi.isFinite) { lo = 0; hi = 1 }
        if hi < lo { swap(&lo, &hi) }
        if hi == lo {
            let pad = lo == 0 ? 1 : abs(lo) * 0.1
            lo -= pad
            hi += pad
            if min >= 0, lo < 0 { lo = 0 }
        }
        var step = Self.nice((hi - lo) / Double(Swift.max(1, ticks - 1)), round: true)
        step = Swift.max(step, minimumStep)
        self.step = step
        self.lower = (lo / step).rounded(.down) * step
        self.upper = (hi / step).rounded(.up) * step
        if upper == lower { upper = lower + step }
    }

    /// The tick values from `lower` to `upper`.
    var ticks: [Double] {
        let count = Int(((upper - lower) / step).rounded()) + 1
        return (0..<count).map { lower + Double($0) * step }
    }

    /// Where `value` falls, 0 at `lower` and 1 at `upper`.
    func fraction(_ value: Double) -> Double { (value - lower) / (upper - lower) }

    /// A tick label with as many decimals as the step needs.
    func label(_ value: Double) -> String {
        let decimals = Swift.max(0, Int((-log10(step)).rounded(.up)))
        let text = String(format: "%.\(Swift.min(decimals, 8))f", value)
        return text == "-0" || text.hasPrefix("-0.") && Double(text) == 0 ? String(text.dropFirst()) : text
    }

    /// 1, 2, 5 or 10 times a power of ten near `x`: the nearest when `round`, else the next above.
    static func nice(_ x: Double, round: Bool) -> Double {
        guard x > 0, x.isFinite else { return 1 }
        let exponent = log10(x).rounded(.down)
        let scale = pow(10, exponent)
        let f = x / scale
        let n: Double
        if round { n = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10 }
        else { n = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10 }
        return n * scale
    }
}
