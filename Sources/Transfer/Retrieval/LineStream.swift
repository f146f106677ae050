import Foundation

/// A text file read line by line in blocks of bytes, so that a file of any size takes bounded memory:
/// each line comes with its 1-based number for messages. Lines end with `\n` or `\r\n`; a UTF-8 byte
/// order mark at the start is dropped.
struct LineStream {
    /// The path as the caller gave it, for messages.
    let name: String
    private let handle: FileHandle
    private var buffer: [UInt8] = []
    private var start = 0
    private var atEnd = false
    private(set) var lineNumber = 0
    static let blockSize = 1 << 20

    init(_ url: URL) throws(DataError) {
        name = TextFile.displayName(url)
        do { handle = try FileHandle(forReadingFrom: url) } catch {
            let exists = FileManager.default.fileExists(atPath: url.path)
            throw .unreadable(file: name, reason: exists ? error.localizedDescription : "no such file")
        }
    }

    /// The next line's number and text (line ending excluded), or nil at the end of the file.
    mutating func next() throws(DataError) -> (line: Int, text: String)? {
        while true {
            if let newline = buffer[start...].firstIndex(of: 0x0A) {
                let line = try take(start..<newline)
                start = newline + 1
                return line
            }
            if atEnd {
                guard start < buffer.count else { return nil }
                let line = try take(start..<buffer.count)
                start = buffer.count
                return line
            }
            let block: Data
            do { block = try handle.read(upToCount: LineStream.blockSize) ?? Data() } catch {
                throw .unreadable(file: name, reason: error.localizedDescription)
            }
            buffer.removeFirst(start)
            start = 0
            if block.isEmpty { atEnd = true } else { buffer.append(contentsOf: block) }
        }
    }

    private mutating func take(_ range: Range<Int>) throws(DataError) -> (line: Int, text: String) {
        lineNumber += 1
        var range = range
        if lineNumber == 1, range.count >= 3, buffer[range.lowerBound] == 0xEF, buffer[range.lowerBound + 1] == 0xBB,
           buffer[range.lowerBound + 2] == 0xBF { range = (range.lowerBound + 3)..<range.upperBound }
        if range.count > 0, buffer[range.upperBound - 1] == 0x0D { range = range.lowerBound..<(range.upperBound - 1) }
        guard let text = String(validating: buffer[range], as: UTF8.self) else {
            throw .invalidEncoding(file: name, line: lineNumber)
        }
        return (lineNumber, text)
    }
}
