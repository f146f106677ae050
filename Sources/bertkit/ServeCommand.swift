import ArgumentParser
import BertKit
import Foundation
import Logging
import Metrics
import Serving

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve embeddings (OpenAI and TEI routes) and a trained model's predictions over HTTP.",
        discussion: """
            Routes: POST /v1/embeddings (OpenAI), POST /embed, /predict, /tokenize (TEI), GET /health, /info, /metrics.
            Concurrent requests are batched; when --max-queue texts wait, requests get 503 with Retry-After.
            API keys (--api-key or BERTKIT_API_KEY) are checked on every route but /health and /metrics.
            SIGTERM, SIGINT or SIGHUP: stop accepting, answer what was accepted for up to --shutdown-timeout
            seconds, close what is left, exit 0.
            A connection is closed when it waits --idle-timeout seconds for a request, takes --header-timeout
            seconds to send a request's head or --body-timeout seconds for its body, and after its answer when
            the request was not keep-alive (HTTP/1.0, Connection: close). At --max-connections, a new
            connection closes the one idle the longest.

              bertkit serve --model sentence-transformers/all-MiniLM-L6-v2 --port 8080
            """
    )

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var adapter: AdapterOptions
    @Option(help: "The address to listen on.") var host = "127.0.0.1"
    @Option(help: "The port to listen on, 1 to 65535 (0: any free port).") var port = 8080
    @Option(help: "An accepted API key, not empty (repeatable; default: BERTKIT_API_KEY, else no check).") var apiKey: [String] = []
    @Option(help: "A batch stops growing at this many tokens.") var maxBatchTokens = 8192
    @Option(help: "Milliseconds the oldest request waits for others to join its batch.") var maxWaitMs = 2
    @Option(help: "Texts that may wait; more get 503.") var maxQueue = 1024
    @Option(help: "Texts one request may hold.") var maxClientBatch = 2048
    @Option(help: "Largest request body, in bytes (413 above).") var maxBodyBytes = 2 << 20
    @Option(help: "Seconds a connection may wait for its next request.") var idleTimeout = 75.0
    @Option(help: "Seconds from a request's first byte to the end of its head.") var headerTimeout = 30.0
    @Option(help: "Seconds from the end of a request's head to the end of its body.") var bodyTimeout = 60.0
    @Option(help: "Open connections at most.") var maxConnections = 1024
    @Option(help: "Seconds a shutdown answers what was accepted before it closes what is left.") var shutdownTimeout = 30.0
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.") var logLevel = "info"
    @OptionGroup var compute: ComputeOptions

    func run() async throws {
        try compute.apply()
        guard let level = Logger.Level(rawValue: logLevel) else { throw ValidationError("--log-level: unknown level '\(logLevel)'") }
        let keys = apiKey.isEmpty ? (Settings.apiKey.map { [$0] } ?? []) : apiKey
        if keys.contains(where: \.isEmpty) {
            throw ValidationError("an API key is empty (--api-key or \(Settings.apiKeyName)); give a key, or none to serve without one")
        }
        let settings = ServeSettings(
            host: host, port: port, apiKeys: APIKeys(keys), maxBodyBytes: maxBodyBytes, maxInputsPerRequest: maxClientBatch,
            batching: .init(maxBatchTokens: maxBatchTokens, maxWait: .milliseconds(maxWaitMs), capacity: maxQueue),
            connections: .init(idleTimeout: try Self.seconds(idleTimeout, "--idle-timeout"),
                               headerTimeout: try Self.seconds(headerTimeout, "--header-timeout"),
                               bodyTimeout: try Self.seconds(bodyTimeout, "--body-timeout"), maxConnections: Self.connectionLimit(maxConnections)),
            shutdownTimeout: try Self.seconds(shutdownTimeout, "--shutdown-timeout"))
        do { try settings.validate() } catch let error as ServeSettingsError { throw ValidationError(error.description) }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "bertkit.serve")
        if settings.connections.maxConnections < maxConnections {
            logger.notice("--max-connections \(maxConnections) lowered to \(settings.connections.maxConnections): the open-file limit (ulimit -n) is \(settings.connections.maxConnections + Self.reservedDescriptors)")
        }
        let metrics = ServerMetrics()
        MetricsSystem.bootstrap(metrics.factory)
        let (base, adapterFolder) = try adapter.resolve(model: modelOptions.model, revision: modelOptions.revision)
        logger.info("loading", metadata: ["model": "\(base)", "adapter": "\(adapterFolder ?? "none")"])
        let model = try ServedModel(model: base, revision: modelOptions.revision,
                                    adapter: adapterFolder.map { URL(fileURLWithPath: $0) })
        let server = EmbeddingServer(model: model, settings: settings, metrics: metrics, logger: logger)
        try await server.run()
        logger.info("stopped")
    }

    /// Descriptors kept for what is not a client connection: the listener, the model's files, logs.
    static let reservedDescriptors = 32

    /// `asked`, lowered to what the open-file limit leaves after ``reservedDescriptors``. Past that
    /// limit a new connection cannot be accepted at all and waits in the kernel's queue (behind
    /// `/health` too); within it, the cap closes the longest-idle connection to make room.
    static func connectionLimit(_ asked: Int) -> Int {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < rlim_t(1 << 30) else { return asked }  // unlimited, or as good as
        return min(asked, max(2, Int(limit.rlim_cur) - reservedDescriptors))
    }

    /// A finite, positive number of seconds (up to a day) as a duration.
    static func seconds(_ value: Double, _ option: String) throws -> Duration {
        guard value.isFinite, value > 0, value <= 86400 else { throw ValidationError("\(option) \(value): expected seconds above 0, at most 86400") }
        return .milliseconds(Int64(value * 1000))
    }
}
