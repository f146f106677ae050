import Foundation

/// Input lines from stdin, split on "\n" only; invalid UTF-8 becomes U+FFFD.
func readStandardInputLines() -> [String] {
    let data = FileHandle.standardInput.readDataToEndOfFile()
    var lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        .map { String(decoding: $0, as: UTF8.self) }
    if lines.last == "" { lines.removeLast() }
    return lines
}

/// Buffered writing to stdout.
struct OutputBuffer {
    private var buffer = ""

    mutating func append(_ text: String) {
        buffer += text
        if buffer.utf8.count > 1 << 16 { flush() }
    }

    mutating func flush() {
        FileHandle.standardOutput.write(Data(buffer.utf8))
        buffer = ""
    }
}

/// JSON text for values the commands print.
enum JSONText {
    static func string(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value) || scalar.value == 0x2028 || scalar.value == 0x2029:
                out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    static func floats(_ values: some Sequence<Float>) -> String {
        "[" + values.map { $0.isFinite ? "\($0)" : "null" }.joined(separator: ",") + "]"
    }

    static func ints<T: BinaryInteger>(_ values: some Sequence<T>) -> String {
        "[" + values.map { "\($0)" }.joined(separator: ",") + "]"
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
        FileHandle.standardError.write(Data(line.utf8))
        if done >= total { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}

func formatDuration(_ seconds: Double) -> String {
    let s = Int(seconds.rounded())
    return s >= 3600 ? String(format: "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60) : String(format: "%d:%02d", s / 60, s % 60)
}

/// Prints a message to stderr.
func note(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
