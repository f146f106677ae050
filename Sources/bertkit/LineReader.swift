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

    @Option(help: "Refuse a line longer than this many bytes (8 MiB by default).")
    var maxLineBytes = 8 << 20

    func validate() throws {
        guard maxLineBytes > 0 else { throw ValidationError("--max-line-bytes must be positive, got \(maxLineBytes)") }
    }
}

/// Lines of stdin (split on "\n" only) in windows of a bounded number of lines, so that a command
/// reads, computes and writes a window at a time: memory does not grow with the input, and an
/// interactive user sees each answer once its window fills or the input pauses for `wait` seconds.
struct LineReader {
    let fd: Int32
    /// What messages call the input.
    let name: String
    let options: InputOptions
    /// Bytes read and not yet returned as lines: `pending[start...]`; none of `pending[start..<scanned]` is a newline.
    private var pending: [UInt8] = []
    private var start = 0
    private var scanned = 0
    private var endOfInput = false
    /// Lines returned so far (for error messages).
    private(set) var lineNumber = 0
    private var warned = false

    init(fd: Int32 = STDIN_FILENO, name: String = "standard input", options: InputOptions) {
        self.fd = fd
        self.name = name
        self.options = options
    }

    /// The next window of at most `maxLines` lines, or nil at the end of the input. When at least
    /// one line is ready and no more arrives within `wait` seconds, the window ends early.
    mutating func nextWindow(maxLines: Int, wait: Double = 0.1) throws -> [String]? {
        precondition(maxLines > 0)
        var lines: [String] = []
        while true {
            while lines.count < maxLines {
                guard let newline = pending[max(start, scanned)...].firstIndex(of: UInt8(ascii: "\n")) else {
                    scanned = pending.count
                    try checkLength(pending.count - start)
                    break
                }
                try checkLength(newline - start)
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
            scanned = max(scanned - start, 0)
            start = 0
        }
    }

    /// Refuses the line being read once it is longer than `--max-line-bytes`, before it is read whole.
    private func checkLength(_ bytes: Int) throws {
        if bytes > options.maxLineBytes {
            throw InputError("\(name), line \(lineNumber + 1): longer than \(options.maxLineBytes) bytes (--max-line-bytes)")
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
                throw InputError("cannot read \(name): \(String(cString: strerror(errno)))")
            }
            if count == 0 { endOfInput = true } else { pending.append(contentsOf: chunk[..<count]) }
            return
        }
    }

    private mutating func decode(_ bytes: ArraySlice<UInt8>) throws -> String {
        lineNumber += 1
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        if options.strict { throw InputError("\(name), line \(lineNumber): not valid UTF-8 (--strict)") }
        if !warned {
            warned = true
            note("bertkit: warning: \(name), line \(lineNumber): not valid UTF-8; invalid bytes become U+FFFD "
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
