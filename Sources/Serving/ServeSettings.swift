import BertKit

/// How a server listens and how much it takes.
public struct ServeSettings: Sendable {
    public var host: String
    /// 0 takes any free port.
    public var port: Int
    public var apiKeys: APIKeys
    /// Larger request bodies get 413.
    public var maxBodyBytes: Int
    /// Texts one request may hold.
    public var maxInputsPerRequest: Int
    public var batching: BatchQueue<Encoding, WorkOutput>.Limits
    public var connections: ConnectionLimits
    /// After SIGTERM, SIGINT or SIGHUP, how long the server answers what it accepted before it
    /// closes what is left.
    public var shutdownTimeout: Duration

    public init(host: String = "127.0.0.1", port: Int = 8080, apiKeys: APIKeys = APIKeys([]), maxBodyBytes: Int = 2 << 20,
                maxInputsPerRequest: Int = 2048, batching: BatchQueue<Encoding, WorkOutput>.Limits = .init(),
                connections: ConnectionLimits = .init(), shutdownTimeout: Duration = .seconds(30)) {
        self.host = host
        self.port = port
        self.apiKeys = apiKeys
        self.maxBodyBytes = maxBodyBytes
        self.maxInputsPerRequest = maxInputsPerRequest
        self.batching = batching
        self.connections = connections
        self.shutdownTimeout = shutdownTimeout
    }

    /// Throws ``ServeSettingsError`` naming the first setting out of its range.
    public func validate() throws {
        func check(_ ok: Bool, _ option: String, _ value: Any, _ expected: String) throws {
            if !ok { throw ServeSettingsError(option: option, value: "\(value)", expected: expected) }
        }
        let positive = "a number above 0"
        try check((0...65535).contains(port), "--port", port, "a port from 1 to 65535 (0: any free port)")
        try check(maxBodyBytes > 0, "--max-body-bytes", maxBodyBytes, positive)
        try check(maxInputsPerRequest > 0, "--max-client-batch", maxInputsPerRequest, positive)
        try check(batching.maxBatchTokens > 0, "--max-batch-tokens", batching.maxBatchTokens, positive)
        try check(batching.capacity > 0, "--max-queue", batching.capacity, positive)
        try check(batching.maxWait >= .zero, "--max-wait-ms", batching.maxWait, "0 or more")
        try check(connections.maxConnections > 1, "--max-connections", connections.maxConnections, "a number above 1")
        try check(connections.idleTimeout > .zero, "--idle-timeout", connections.idleTimeout, positive)
        try check(connections.headerTimeout > .zero, "--header-timeout", connections.headerTimeout, positive)
        try check(connections.bodyTimeout > .zero, "--body-timeout", connections.bodyTimeout, positive)
        try check(shutdownTimeout > .zero, "--shutdown-timeout", shutdownTimeout, positive)
    }
}

/// A server setting out of its range, named by its command-line option.
public struct ServeSettingsError: Error, CustomStringConvertible {
    public var option: String
    public var value: String
    public var expected: String
    public var description: String { "\(option) \(value): expected \(expected)" }
}
