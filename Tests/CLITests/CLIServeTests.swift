import Foundation
#if canImport(Glibc)
import Glibc
#endif
import XCTest

/// `bertkit serve` as a process, over real sockets on 127.0.0.1: options refused at start,
/// connection timeouts, the connection cap, keep-alive, and shutdown on signals.
final class CLIServeTests: XCTestCase {
    var work: URL!

    override func setUpWithError() throws { work = try Tiny.workFolder() }
    override func tearDown() { try? FileManager.default.removeItem(at: work) }

    func testNumericOptionsAndEmptyKeysAreRefusedAtStart() throws {
        let cases: [([String], [String: String], String)] = [
            (["--port", "70000"], [:], "--port 70000"),
            (["--port=65536"], [:], "--port 65536"),
            (["--port=-1"], [:], "--port -1"),
            (["--max-body-bytes=-1"], [:], "--max-body-bytes -1"),
            (["--max-body-bytes", "0"], [:], "--max-body-bytes 0"),
            (["--max-batch-tokens", "0"], [:], "--max-batch-tokens 0"),
            (["--max-queue=-5"], [:], "--max-queue -5"),
            (["--max-client-batch", "0"], [:], "--max-client-batch 0"),
            (["--max-wait-ms=-1"], [:], "--max-wait-ms"),
            (["--max-connections", "1"], [:], "--max-connections 1"),
            (["--idle-timeout", "0"], [:], "--idle-timeout"),
            (["--header-timeout", "nan"], [:], "--header-timeout"),
            (["--body-timeout=-2"], [:], "--body-timeout"),
            (["--shutdown-timeout", "inf"], [:], "--shutdown-timeout"),
            (["--api-key", ""], [:], "API key is empty"),
            (["--api-key", "k", "--api-key", ""], [:], "API key is empty"),
            ([], ["BERTKIT_API_KEY": ""], "API key is empty"),
        ]
        for (options, environment, text) in cases {
            let result = try CLI.run(["serve", "--model", "tiny", "--port", "0"] + options, in: work, environment: environment)
            assertFails(result, saying: text)
            XCTAssertFalse(result.stderr.contains("loading"), "\(options): the model was loaded before the check")
        }
    }

    func testHTTP10IsClosedAfterItsAnswer() throws {
        let server = try Server(work)
        defer { server.stop() }
        let http10 = try Connection(port: server.port)
        try http10.send("GET /health HTTP/1.0\r\nHost: x\r\n\r\n")
        let answer = http10.readToEnd(within: 5)
        XCTAssertTrue(answer.text.hasPrefix("HTTP/1.1 200"), answer.text)
        XCTAssertTrue(answer.closed, "an HTTP/1.0 connection was left open: \(answer.text)")
        let close = try Connection(port: server.port)
        try close.send("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        XCTAssertTrue(close.readToEnd(within: 5).closed)
        // HTTP/1.1 stays open for the next request.
        let kept = try Connection(port: server.port)
        try kept.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        let first = kept.readToEnd(within: 1)
        XCTAssertTrue(first.text.contains("\"ok\""), first.text)
        XCTAssertFalse(first.closed)
    }

    /// A silent client, one that stops in the middle of a head, and one that stops in the middle of
    /// a body are each closed after their timeout; a busy client is not.
    func testIdleHeaderAndBodyTimeouts() throws {
        let server = try Server(work, ["--idle-timeout", "1", "--header-timeout", "1.5", "--body-timeout", "2"])
        defer { server.stop() }
        let silent = try Connection(port: server.port)
        let head = try Connection(port: server.port)
        try head.send("POST /embed HTTP/1.1\r\nHost: x\r\nContent-")
        let body = try Connection(port: server.port)
        try body.send("POST /embed HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{\"inputs\": \"go")
        let start = Date()
        for (connection, limit) in [(silent, 1.0), (head, 1.5), (body, 2.0)] {
            let result = connection.readToEnd(within: 10)
            let elapsed = Date().timeIntervalSince(start)
            XCTAssertTrue(result.closed)
            XCTAssertGreaterThan(elapsed, limit - 0.3)
            XCTAssertLessThan(elapsed, limit + 2)
        }
        XCTAssertTrue(try server.health())
    }

    /// Silent connections past the cap do not lock out a health check: the one idle the longest
    /// is closed for the newcomer.
    func testConnectionCapClosesTheLongestIdle() throws {
        let server = try Server(work, ["--max-connections", "8"])
        defer { server.stop() }
        let silent = try (0..<20).map { _ in try Connection(port: server.port) }
        let start = Date()
        XCTAssertTrue(try server.health())
        XCTAssertLessThan(Date().timeIntervalSince(start), 2)
        XCTAssertGreaterThanOrEqual(silent.filter { $0.readToEnd(within: 0.2).closed }.count, 12)
    }

    /// Under `ulimit -n 96` the cap is lowered to what the limit leaves, so silent connections
    /// past it close the longest-idle one instead of waiting in the kernel's queue ahead of `/health`.
    func testConnectionCapFollowsTheOpenFileLimit() throws {
        let server = try Server(work, [], fileLimit: 96)
        defer { server.stop() }
        XCTAssertTrue(server.stderr.contains("--max-connections 1024 lowered to 64: the open-file limit (ulimit -n) is 96"), server.stderr)
        let silent = try (0..<150).map { _ in try Connection(port: server.port) }
        let start = Date()
        XCTAssertTrue(try server.health())
        XCTAssertLessThan(Date().timeIntervalSince(start), 2)
        XCTAssertGreaterThanOrEqual(silent.filter { $0.readToEnd(within: 0.2).closed }.count, 50)
    }

    /// SIGTERM while a client holds a half-sent body: the server waits --shutdown-timeout, closes
    /// it, logs it and exits 0.
    func testShutdownTimeoutClosesAHalfSentBody() throws {
        let server = try Server(work, ["--shutdown-timeout", "1"])
        let body = try Connection(port: server.port)
        try body.send("POST /embed HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{\"inputs\": \"go")
        Thread.sleep(forTimeInterval: 0.2)
        let start = Date()
        kill(server.process.processIdentifier, SIGTERM)
        let status = server.wait(within: 10)
        XCTAssertEqual(status, 0, server.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(start), 5)
        XCTAssertTrue(server.stderr.contains("shutdown timeout"), server.stderr)
    }

    /// SIGHUP drains like SIGTERM, and says so.
    func testSIGHUPDrainsAndIsLogged() throws {
        let server = try Server(work)
        XCTAssertTrue(try server.health())
        kill(server.process.processIdentifier, SIGHUP)
        XCTAssertEqual(server.wait(within: 10), 0, server.stderr)
        XCTAssertTrue(server.stderr.contains("SIGHUP"), server.stderr)
        XCTAssertTrue(server.stderr.contains("stopped"), server.stderr)
    }
}

/// `bertkit serve --model tiny --port 0` in `work`, until stopped.
final class Server {
    let process = Process()
    let port: Int
    private let errors: URL

    /// With `fileLimit`, the server runs under `ulimit -n fileLimit`.
    init(_ work: URL, _ options: [String] = [], fileLimit: Int? = nil) throws {
        errors = work.appending(path: "serve-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        let arguments = ["serve", "--model", "tiny", "--port", "0", "--threads", "1"] + options
        if let fileLimit {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "ulimit -n \(fileLimit) && exec \"$0\" \"$@\"", try CLI.binary().path] + arguments
        } else {
            process.executableURL = try CLI.binary()
            process.arguments = arguments
        }
        process.currentDirectoryURL = work
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: errors)
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        var found: Int?
        while found == nil && Date() < deadline && process.isRunning {
            Thread.sleep(forTimeInterval: 0.05)
            found = Self.port(in: stderrText(errors))
        }
        guard let found else {
            process.terminate()
            throw CLIError("the server did not start: \(stderrText(errors))")
        }
        port = found
    }

    var stderr: String { stderrText(errors) }

    /// The port of the `listening` line (`address=[IPv4]127.0.0.1/127.0.0.1:PORT`).
    static func port(in log: String) -> Int? {
        guard let line = log.split(separator: "\n").first(where: { $0.contains("listening") }),
              let range = line.range(of: #"127\.0\.0\.1:\d+"#, options: .regularExpression) else { return nil }
        return Int(line[range].split(separator: ":").last!)
    }

    func health() throws -> Bool {
        let connection = try Connection(port: port)
        try connection.send("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        return connection.readToEnd(within: 5).text.contains("\"ok\"")
    }

    /// The exit status, or nil when the process is still running after `seconds`.
    func wait(within seconds: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        return process.isRunning ? nil : process.terminationStatus
    }

    func stop() {
        if process.isRunning { process.interrupt() }
        if wait(within: 10) == nil { kill(process.processIdentifier, SIGKILL) }
    }
}

private func stderrText(_ url: URL) -> String { (try? String(contentsOf: url, encoding: .utf8)) ?? "" }

/// A plain TCP connection to 127.0.0.1.
final class Connection {
    let fd: Int32

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let status = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard status == 0 else {
            close(fd)
            throw CLIError("connect to port \(port): errno \(errno)")
        }
    }

    deinit { close(fd) }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard Glibc.send(fd, bytes, bytes.count, Int32(MSG_NOSIGNAL)) == bytes.count else { throw CLIError("send: errno \(errno)") }
    }

    /// What arrives within `seconds`, and whether the server closed the connection by then.
    func readToEnd(within seconds: Double) -> (text: String, closed: Bool) {
        var received: [UInt8] = []
        let deadline = Date().addingTimeInterval(seconds)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let left = deadline.timeIntervalSinceNow
            if left <= 0 { return (String(decoding: received, as: UTF8.self), false) }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&poller, 1, Int32(left * 1000) + 1) <= 0 { continue }
            let n = recv(fd, &buffer, buffer.count, 0)
            if n <= 0 { return (String(decoding: received, as: UTF8.self), true) }
            received += buffer[0..<n]
        }
    }
}
