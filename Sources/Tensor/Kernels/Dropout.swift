// Inverted dropout with a seeded generator.
import Foundation

/// A small, fast, seedable generator (SplitMix64), so a training run repeats exactly from its seed.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    public private(set) var state: UInt64
    /// When set, dropout draws each sequence's mask from its own key (see ``SequenceKeys``).
    public var sequenceKeys: SequenceKeys?

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform Float in [0, 1).
    public mutating func nextUnit() -> Float {
        Float(next() >> 40) * (1.0 / Float(1 << 24))
    }

    /// A standard normal sample (Box–Muller).
    public mutating func nextNormal() -> Float {
        let u1 = Swift.max(nextUnit(), 1e-7), u2 = nextUnit()
        return (-2 * Float.log(u1)).squareRoot() * Float.cos(2 * .pi * u2)
    }
}

extension Tensor {
    /// Zeroes each element with probability `p` and scales the rest by 1/(1−p), in training;
    /// the identity otherwise (`p == 0` or `training == false`).
    public func dropout(_ p: Float, training: Bool, generator: inout SeededGenerator) -> Tensor {
        precondition(p >= 0 && p < 1, "dropout probability must be in [0, 1), got \(p)")
        guard training, p > 0 else { return self }
        let keep = 1 - p, scale = 1 / keep
        let mask = Tensor.uninitialized(shape)
        let m = mask.storage.pointer
        if !generator.fillKeyedMask(m, shape: shape, keep: keep, scale: scale) {
            for i in 0..<count { m[i] = generator.nextUnit() < keep ? scale : 0 }
        }
        let out = Tensor.uninitialized(shape)
        let x = storage.pointer, y = out.storage.pointer
        Threads.parallelFor(count, work: count) { r in for i in r { y[i] = x[i] * m[i] } }
        return out.recorded("dropout", inputs: [self]) { [self] g in
            let dx = Tensor.uninitialized(shape)
            let m = mask.storage.pointer, d = dx.storage.pointer, gy = g.storage.pointer
            Threads.parallelFor(count, work: count) { r in for i in r { d[i] = gy[i] * m[i] } }
            accumulateGrad(dx)
        }
    }
}

extension Float {
    static func log(_ x: Float) -> Float { Foundation.logf(x) }
    static func cos(_ x: Float) -> Float { Foundation.cosf(x) }
}
