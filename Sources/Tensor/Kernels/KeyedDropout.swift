// Dropout masks keyed by example, so that a mask depends on which example a row belongs to and
// not on which batch, process or rank computes it.
//
// Each dropout call takes one draw c from the generator (the same number of calls in every forward
// pass of a model); sequence i of the batch then fills its rows from SplitMix64(mix(c, key_i)), in
// order. A sequence's real tokens come first in its rows whether the batch is packed
// ([tokens, width], lengths[i] rows each) or padded ([batch, seq, width]), so its mask over them is
// the same either way, and the same alone as in any batch.

extension SeededGenerator {
    /// The sequences of the batch about to run: one key per sequence (for training, its global
    /// position in the epoch's data order) and its number of tokens.
    public struct SequenceKeys: Sendable, Equatable {
        public var keys: [UInt64]
        public var lengths: [Int]

        public init(keys: [UInt64], lengths: [Int]) {
            precondition(keys.count == lengths.count, "\(keys.count) keys for \(lengths.count) sequences")
            self.keys = keys
            self.lengths = lengths
        }
    }

    /// A seed mixed from two or three words (SplitMix64 of their combination).
    public static func mix(_ a: UInt64, _ b: UInt64, _ c: UInt64 = 0) -> UInt64 {
        var g = SeededGenerator(seed: a ^ (b &* 0x9E37_79B9_7F4A_7C15) ^ (c &* 0xC2B2_AE3D_27D4_EB4F))
        return g.next()
    }

    /// Fills the `shape`-sized mask `m` sequence by sequence when keys are set and the tensor's
    /// leading axis is the batch's tokens (packed) or its sequences; returns false otherwise, and
    /// the caller draws as usual.
    mutating func fillKeyedMask(_ m: UnsafeMutablePointer<Float>, shape: [Int], keep: Float, scale: Float) -> Bool {
        guard let keyed = sequenceKeys, let rows = shape.first, rows > 0 else { return false }
        let count = shape.reduce(1, *)
        let segments: [Int]
        if rows == keyed.lengths.reduce(0, +) {
            segments = keyed.lengths.map { $0 * (count / rows) }
        } else if rows == keyed.keys.count {
            segments = Array(repeating: count / rows, count: rows)
        } else {
            return false
        }
        let call = next()
        var offset = 0
        for (i, size) in segments.enumerated() {
            var g = SeededGenerator(seed: SeededGenerator.mix(call, keyed.keys[i]))
            for e in offset..<(offset + size) { m[e] = g.nextUnit() < keep ? scale : 0 }
            offset += size
        }
        return true
    }
}
