import Foundation
import XCTest
@testable import Checkpoints

/// A fresh folder under the system's temporary directory, removed when the value goes away.
final class TemporaryFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appending(path: "CheckpointsTests-\(UUID().uuidString)", directoryHint: .isDirectory)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// Writes `data` to `name` (which may contain folders) and returns its URL.
    @discardableResult
    func write(_ name: String, _ data: Data) throws -> URL {
        let file = url.appending(path: name)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try data.write(to: file)
        return file
    }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> URL {
        try write(name, Data(text.utf8))
    }

    func makeFolder(_ name: String) throws -> URL {
        let folder = url.appending(path: name, directoryHint: .isDirectory)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }
}

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

/// Runs `body`, expecting a `CheckpointError`, and returns it (failing the test if none is thrown).
func expectError<T>(
    _ body: () throws(CheckpointError) -> T, file: StaticString = #filePath, line: UInt = #line
) -> CheckpointError? {
    do {
        let value = try body()
        XCTFail("expected a CheckpointError, got \(value)", file: file, line: line)
        return nil
    } catch {
        return error
    }
}

/// Asserts that `message` contains every one of `parts`.
func assertMentions(_ message: String, _ parts: [String], file: StaticString = #filePath, line: UInt = #line) {
    for part in parts where !message.contains(part) {
        XCTFail("message does not mention \"\(part)\":\n\(message)", file: file, line: line)
    }
}
