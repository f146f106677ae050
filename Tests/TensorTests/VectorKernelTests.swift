import Foundation
import Tensor
import TestSupport
import XCTest

/// The vectorized exp and erf behind GELU and softmax (CKernels), against libm on a dense grid.
final class VectorKernelTests: XCTestCase {
    func testEveryInstructionSetMatchesLibm() {
        forEachInstructionSet { isa in
            checkGelu(isa)
            checkSoftmax(isa)
        }
    }

    func checkGelu(_ isa: String) {
        // GELU and its derivative through the public ops, on a grid covering the useful range.
        let xs = stride(from: -10.0 as Float, through: 10, by: 0.001).map { $0 }
        let x = Tensor(shape: [xs.count], scalars: xs, requiresGrad: true)
        let y = x.gelu()
        y.sum().backward()
        var worstValue: Float = 0, worstSlope: Float = 0
        for (i, v) in xs.enumerated() {
            let exact = 0.5 * Double(v) * (1 + Foundation.erf(Double(v) / 2.0.squareRoot()))
            let slope = 0.5 * (1 + Foundation.erf(Double(v) / 2.0.squareRoot())) + Double(v) * Foundation.exp(-0.5 * Double(v * v)) / (2 * Double.pi).squareRoot()
            worstValue = max(worstValue, Float(abs(Double(y.scalars[i]) - exact) / max(1, abs(exact))))
            worstSlope = max(worstSlope, Float(abs(Double(x.grad!.scalars[i]) - slope)))
        }
        XCTAssertLessThan(worstValue, 1e-6, "\(isa): GELU relative error")
        XCTAssertLessThan(worstSlope, 1e-6, "\(isa): GELU derivative error")
    }

    func checkSoftmax(_ isa: String) {
        let xs = stride(from: -80.0 as Float, through: 80, by: 0.01).map { $0 }
        let p = Tensor(shape: [xs.count / 7, 7], scalars: Array(xs.prefix(xs.count / 7 * 7))).softmax()
        for row in 0..<(xs.count / 7) {
            let values = (0..<7).map { Double(xs[row * 7 + $0]) }
            let m = values.max()!
            let e = values.map { Foundation.exp($0 - m) }
            let s = e.reduce(0, +)
            for j in 0..<7 {
                XCTAssertEqual(Double(p[row, j]), e[j] / s, accuracy: 1e-6 * max(1, e[j] / s), "\(isa)")
            }
        }
        // Masked positions get exactly zero.
        let masked = Tensor(shape: [1, 3], scalars: [0, 1, 2]).softmax(mask: Tensor(shape: [1, 3], scalars: [0, -Float.greatestFiniteMagnitude, 0]))
        XCTAssertEqual(masked[0, 1], 0, isa)
    }
}
