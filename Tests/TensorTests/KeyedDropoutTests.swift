import Tensor
import TestSupport
import XCTest

/// Dropout keyed by example (data-parallel training): a sequence's mask follows from its key alone,
/// so it is the same whichever batch, process or rank computes it.
final class KeyedDropoutTests: XCTestCase {
    func random(_ shape: [Int], seed: UInt64) -> Tensor {
        var g = SeededGenerator(seed: seed)
        return Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in g.nextUnit() + 0.5 })
    }

    func keyed(_ keys: [UInt64], _ lengths: [Int], seed: UInt64 = 7) -> SeededGenerator {
        var g = SeededGenerator(seed: seed)
        g.sequenceKeys = .init(keys: keys, lengths: lengths)
        return g
    }

    /// Rows of a packed batch against each sequence alone, and against a padded batch.
    func testElementwiseMaskDependsOnTheKeyOnly() {
        let width = 6, lengths = [3, 5, 2], keys: [UInt64] = [40, 41, 97]
        let x = random([lengths.reduce(0, +), width], seed: 1)
        var g = keyed(keys, lengths)
        let packed = x.dropout(0.3, training: true, generator: &g).scalars
        var row = 0
        for (i, length) in lengths.enumerated() {
            let part = Array(x.scalars[(row * width)..<((row + length) * width)])
            var alone = keyed([keys[i]], [length])
            let single = Tensor(shape: [length, width], scalars: part).dropout(0.3, training: true, generator: &alone).scalars
            XCTAssertEqual(single, Array(packed[(row * width)..<((row + length) * width)]), "sequence \(i) alone")
            // Padded to 5 tokens, [1, 5, width]: its real tokens get the same mask.
            var padded = keyed([keys[i]], [length])
            let pad = Tensor(shape: [1, 5, width], scalars: part + Array(repeating: 1, count: (5 - length) * width))
            let paddedOut = pad.dropout(0.3, training: true, generator: &padded).scalars
            XCTAssertEqual(Array(paddedOut[0..<(length * width)]), single, "sequence \(i) padded")
            row += length
        }
        XCTAssertTrue(packed.contains(0) && packed.contains { $0 > 0 })
    }

    /// Attention weights' dropout: each sequence of a packed batch gets the context it gets alone.
    func testAttentionMaskDependsOnTheKeyOnly() {
        let heads = 2, hidden = 8, lengths = [4, 3], keys: [UInt64] = [5, 12]
        let qkv = random([lengths.reduce(0, +), 3 * hidden], seed: 2)
        var g = keyed(keys, lengths)
        let both = Tensor.attention(qkv: qkv, layout: .packed(lengths: lengths), heads: heads, dropout: 0.4, training: true, generator: &g).context.scalars
        var row = 0
        for (i, length) in lengths.enumerated() {
            let part = Tensor(shape: [length, 3 * hidden], scalars: Array(qkv.scalars[(row * 3 * hidden)..<((row + length) * 3 * hidden)]))
            var alone = keyed([keys[i]], [length])
            let single = Tensor.attention(qkv: part, layout: .packed(lengths: [length]), heads: heads, dropout: 0.4, training: true,
                                          generator: &alone).context.scalars
            XCTAssertEqual(single, Array(both[(row * hidden)..<((row + length) * hidden)]), "sequence \(i)")
            row += length
        }
    }
}
