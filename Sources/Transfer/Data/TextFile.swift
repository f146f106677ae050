import Checkpoints
import Foundation

/// A text file read whole as UTF-8 bytes, with the name that error messages use.
///
/// Lines end with `\n`, `\r\n` or a lone `\r` (the SST-2 training file uses `\r\n`). A UTF-8 byte
/// order mark at the start is dropped.
struct TextFile: Sendable {
    /// The file's path as the caller gave it, for messages.
    let name: String
    let bytes: [UInt8]

    init(name: String, bytes: [UInt8]) {
        self.name = name
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF {
            self.bytes = Array(bytes[3...])
        } else {
            self.bytes = bytes
        }
    }

    /// Reads `url`, failing with ``DataError/unreadable(file:reason:)`` or, for invalid UTF-8,
    /// ``DataError/invalidEncoding(file:line:)`` naming the first bad line.
    static func read(_ url: URL) throws(DataError) -> TextFile {
        let name = displayName(url)
        let data: Data
        do { data = try FileContents.read(url) } catch { throw .unreadable(file: name, reason: error.reason) }
        let file = TextFile(name: name, bytes: [UInt8](data))
        try file.validateUTF8()
        return file
    }

    /// The path to show in messages: the path as given, relative if it was relative.
    static func displayName(_ url: URL) -> String {
        url.isFileURL ? url.relativePath : url.absoluteString
    }

    /// Checks the whole file is UTF-8; on failure names the first line that is not. After this,
    /// decoding any slice that starts and ends at an ASCII byte cannot fail.
    func validateUTF8() throws(DataError) {
        if String(validating: bytes, as: UTF8.self) != nil { return }
        var bad: Int?
        forEachLine { line, range in
            if bad == nil, String(validating: bytes[range], as: UTF8.self) == nil { bad = line }
        }
        throw .invalidEncoding(file: name, line: bad ?? 1)
    }

    /// The text of `range`, which must start and end at ASCII bytes of a validated file.
    func string(_ range: Range<Int>) -> String {
        String(decoding: bytes[range], as: UTF8.self)
    }

    /// Calls `body` with each line's 1-based number and byte range, line ending excluded.
    func forEachLine<E: Error>(_ body: (Int, Range<Int>) throws(E) -> Void) throws(E) {
        var line = 1
        var start = 0
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b == 0x0A || b == 0x0D {
                try body(line, start..<i)
                if b == 0x0D, i + 1 < n, bytes[i + 1] == 0x0A { i += 1 }
                line += 1
                i += 1
                start = i
            } else {
                i += 1
            }
        }
        if start < n { try body(line, start..<n) }
    }

    /// Whether `range` holds only spaces and tabs (or nothing).
    func isBlank(_ range: Range<Int>) -> Bool {
        for i in range where bytes[i] != 0x20 && bytes[i] != 0x09 { return false }
        return true
    }

    /// Whether the file holds anything but white space.
    var isEmpty: Bool {
        !bytes.contains { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D }
    }
}
