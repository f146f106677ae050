import Foundation
import XCTest
@testable import Checkpoints
@_exported import TestSupport

/// The bytes of a safetensors file written by hand: the header length (the real one unless
/// `declaredLength` lies), the header text, then `data`.
func rawSafeTensors(header: String, data: [UInt8] = [], declaredLength: UInt64? = nil) -> Data {
    let headerBytes = Array(header.utf8)
    let length = (declaredLength ?? UInt64(headerBytes.count)).littleEndian
    return Data(withUnsafeBytes(of: length) { Array($0) } + headerBytes + data)
}

/// Little-endian bytes of 16-bit patterns.
func halfBytes(_ words: [UInt16]) -> [UInt8] {
    words.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
}

/// Little-endian bytes of floats.
func floatBytes(_ floats: [Float]) -> [UInt8] {
    floats.flatMap { value in withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
}

/// Bytes from a hex string (whitespace ignored).
func hexBytes(_ hex: String) -> [UInt8] {
    let digits = Array(hex.filter { !$0.isWhitespace })
    return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
}
