import ArgumentParser
import BertKit
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why writing to stdout failed: the reader went away (EPIPE), or anything else (ENOSPC, EBADF, EIO).
enum OutputError: Error {
    case closed
    case failed(String)
}

/// stdout through write(2), buffered, with every failure an error (never a trap, never lost).
///
/// Text written with `print` goes through C's buffer, flushed first, so the two stay in order.
final class StandardOutput: @unchecked Sendable {
    /// Used from the main thread only.
    static let shared = StandardOutput()
    private var buffer: [UInt8] = []

    /// Appends `text`; writes when the buffer passes 64 KiB.
    func append(_ text: String) throws(OutputError) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count > 1 << 16 { try flush() }
    }

    /// Writes everything appended so far.
    func flush() throws(OutputError) {
        if fflush(nil) != 0 { throw OutputError(errno: errno) }
        var offset = 0
        while offset < buffer.count {
            let written = buffer.withUnsafeBytes { bytes in
                // Safe: offset < buffer.count, so the pointer and count stay inside the buffer.
                systemWrite(STDOUT_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
            }
            if written < 0 {
                if errno == EINTR { continue }
                let code = errno
                buffer.removeAll()
                throw OutputError(errno: code)
            }
            offset += written
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes at the end of a command (also what `print` wrote).
    func finish() throws(OutputError) {
        try flush()
    }
}

extension OutputError {
    init(errno code: Int32) {
        self = code == EPIPE ? .closed : .failed(String(cString: strerror(code)))
    }
}

/// Makes sure fds 0, 1 and 2 are open, so that no file the command opens lands on them: a closed
/// one gets /dev/null opened read-only, on which reads see an empty input and writes fail (EBADF).
func reserveStandardDescriptors() {
    for fd: Int32 in [STDIN_FILENO, STDOUT_FILENO, STDERR_FILENO] where fcntl(fd, F_GETFD) == -1 {
        let opened = open("/dev/null", O_RDONLY)
        if opened >= 0 && opened != fd {
            dup2(opened, fd)
            close(opened)
        }
    }
}

/// write(2), which names inside the types here would shadow.
func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, buffer, count)
    #else
    return Darwin.write(fd, buffer, count)
    #endif
}

/// Writes to stderr, ignoring failures (there is nowhere left to report them).
func writeStandardError(_ text: String) {
    var bytes = Array(text.utf8)[...]
    while !bytes.isEmpty {
        let written = bytes.withUnsafeBytes { systemWrite(STDERR_FILENO, $0.baseAddress!, $0.count) }
        if written < 0 && errno == EINTR { continue }
        guard written > 0 else { return }
        bytes = bytes.dropFirst(written)
    }
}

/// Progress on stderr: a redrawn bar on a terminal; otherwise (a log file) a line at every tenth.
final class ProgressBar {
    let total: Int
    let label: String
    let terminal: Bool
    let enabled: Bool
    let start = Date()
    private var lastDraw = Date.distantPast
    private var lastTenth = 0

    init(total: Int, label: String, minimumTotal: Int = 64) {
        self.total = total
        self.label = label
        terminal = isatty(STDERR_FILENO) == 1
        enabled = total >= minimumTotal
    }

    func update(_ done: Int, extra: String = "") {
        guard enabled else { return }
        let now = Date()
        let fraction = total > 0 ? Double(done) / Double(total) : 1
        let elapsed = now.timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        if !terminal {
            let tenth = Int(fraction * 10)
            guard tenth > lastTenth else { return }
            lastTenth = tenth
            note(String(format: "%@ %3d%% %d/%d  %.1f/s  ETA %@ %@", label, tenth * 10, done, total, rate, formatDuration(eta), extra))
            return
        }
        guard done >= total || now.timeIntervalSince(lastDraw) > 0.1 else { return }
        lastDraw = now
        let width = 30, filled = Int(fraction * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let line = String(format: "\r%@ %@ %d/%d  %.1f/s  ETA %@ %@", label, bar, done, total, rate, formatDuration(eta), extra)
        writeStandardError(line)
        if done >= total { writeStandardError("\n") }
    }
}

func formatDuration(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
}

/// Prints a message to stderr.
func note(_ text: String) {
    writeStandardError(text + "\n")
}

/// Creates `url` and its missing parents (`mkdir -p`), naming the folder and the system's reason on failure.
func makeFolder(_ url: URL, option: String) throws {
    var path = ""
    for component in url.standardizedFileURL.path.split(separator: "/") {
        path += "/" + component
        if mkdir(path, 0o777) != 0 && errno != EEXIST {
            throw ValidationError("\(option) \(url.path): cannot create \(path): \(String(cString: strerror(errno)))")
        }
    }
}
