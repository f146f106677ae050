import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How the line-reading commands treat their input.
struct InputOptions: ParsableArguments {
    @Flag(help: "Refuse input that is not valid UTF-8 (by default invalid bytes become U+FFFD, with a warning).")
    var strict = false
}

/// Lines of stdin (split on "\n" only) in windows of a bounded number of lines, so that a command
/// reads, computes and writes a window at a time: memory does not grow with the input, and an
/// interactive user sees each answer once its window fills or the input pauses for `wait` seconds.
struct LineReader {
    let fd: Int32
    let strict: Bool
    /// Bytes read and not yet returned as lines: `pending[start...]`.
    private var pending: [UInt8] = []
    private var start = 0
    private var endOfInput = false
    /// Lines returned so far (for error messages).
    private(set) var lineNumber = 0
    private var warned = false

    init(fd: Int32 = STDIN_FILENO, strict: Bool) {
        self.fd = fd
        self.strict = strict
    }

    /// The next window of at most `maxLines` lines, or nil at the end of the input. When at least
    /// one line is ready and no more arrives within `wait` seconds, the window ends early.
    mutating func nextWindow(maxLines: Int, wait: Double = 0.1) throws -> [String]? {
        precondition(maxLines > 0)
        var lines: [String] = []
        while true {
            while lines.count < maxLines, let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
                lines.append(try decode(pending[start..<newline]))
                start = newline + 1
            }
            if lines.count == maxLines { break }
            if endOfInput {
                if start < pending.count {
                    lines.append(try decode(pending[start...]))
                    start = pending.count
                }
                break
            }
            if !lines.isEmpty && !readable(within: wait) { break }
            try fill()
        }
        compact()
        return lines.isEmpty ? nil : lines
    }

    /// Drops the bytes already returned, so the buffer holds at most a window and a read.
    private mutating func compact() {
        if start > 0 {
            pending.removeFirst(start)
            start = 0
        }
    }

    private func readable(within seconds: Double) -> Bool {
        var descriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while true {
            let result = poll(&descriptor, 1, Int32(seconds * 1000))
            if result < 0 && errno == EINTR { continue }
            return result != 0
        }
    }

    private mutating func fill() throws {
        if start > 1 << 16 { compact() }
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw InputError("cannot read standard input: \(String(cString: strerror(errno)))")
            }
            if count == 0 { endOfInput = true } else { pending.append(contentsOf: chunk[..<count]) }
            return
        }
    }

    private mutating func decode(_ bytes: ArraySlice<UInt8>) throws -> String {
        lineNumber += 1
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        if strict { throw InputError("standard input, line \(lineNumber): not valid UTF-8 (--strict)") }
        if !warned {
            warned = true
            note("bertkit: warning: standard input, line \(lineNumber): not valid UTF-8; invalid bytes become U+FFFD "
                 + "(further lines are not reported; --strict refuses such input)")
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// A problem with what came in on stdin.
struct InputError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// On a terminal, a redrawn count of the lines done; silent otherwise.
struct LineCounter {
    let label: String
    let terminal = isatty(STDERR_FILENO) == 1
    private(set) var done = 0

    init(label: String) { self.label = label }

    mutating func add(_ count: Int) {
        done += count
        if terminal { writeStandardError("\r\(label): \(done) lines") }
    }

    func finish() {
        if terminal && done > 0 { writeStandardError("\n") }
    }
}
