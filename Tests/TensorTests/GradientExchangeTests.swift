import Tensor
import XCTest

/// How data-parallel training hands gradients to and from memory it owns (Transfer's GradientBuckets).
final class GradientExchangeTests: XCTestCase {
    /// A viewed gradient is the caller's memory: the backward pass adds into it in place.
    func testBackwardAddsIntoAViewedGradient() {
        let x = Tensor(shape: [4], scalars: [1, 2, 3, 4], requiresGrad: true)
        var memory: [Float] = [10, 20, 30, 40]
        memory.withUnsafeMutableBufferPointer { buffer in
            x.setGrad(viewing: buffer.baseAddress!)
            x.scaled(2).sum().backward()
            (x * x).sum().backward()
            XCTAssertEqual(x.grad?.scalars, [14, 26, 38, 50])   // 10 + 2 + 2x
            x.zeroGrad()
        }
        XCTAssertEqual(memory, [14, 26, 38, 50])
        XCTAssertNil(x.grad)
    }

    /// A borrowed gradient is read, never written: a backward pass that adds to it copies it first.
    func testBackwardCopiesABorrowedGradientBeforeAdding() {
        let x = Tensor(shape: [3], scalars: [1, 2, 3], requiresGrad: true)
        var memory: [Float] = [1, 1, 1]
        memory.withUnsafeMutableBufferPointer { buffer in
            x.borrowGrad(buffer.baseAddress!)
            XCTAssertEqual(x.grad?.scalars, [1, 1, 1])
            x.scaled(3).sum().backward()
            XCTAssertEqual(x.grad?.scalars, [4, 4, 4])
        }
        XCTAssertEqual(memory, [1, 1, 1])
    }

    /// Training raises the idle limit of the tensor memory pool; it never lowers it.
    func testKeepIdleOnlyRaisesTheLimit() {
        let before = MemoryPool.idleLimitBytes
        defer { MemoryPool.setIdleLimit(before) }
        MemoryPool.setIdleLimit(256 << 20)
        MemoryPool.keepIdle(additionally: 100 << 20)
        XCTAssertEqual(MemoryPool.idleLimitBytes, 356 << 20)
        MemoryPool.keepIdle(additionally: 10 << 20)
        XCTAssertEqual(MemoryPool.idleLimitBytes, 356 << 20)
    }
}
