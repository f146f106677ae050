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
            SIGTERM or SIGINT: stop accepting, answer what was accepted, exit 0.

              bertkit serve --model sentence-transformers/all-MiniLM-L6-v2 --port 8080
            """
    )

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var adapter: AdapterOptions
    @Option(help: "The address to listen on.") var host = "127.0.0.1"
    @Option(help: "The port to listen on (0: any free port).") var port = 8080
    @Option(help: "An accepted API key (repeatable; default: BERTKIT_API_KEY, else no check).") var apiKey: [String] = []
    @Option(help: "A batch stops growing at this many tokens.") var maxBatchTokens = 8192
    @Option(help: "Milliseconds the oldest request waits for others to join its batch.") var maxWaitMs = 2
    @Option(help: "Texts that may wait; more get 503.") var maxQueue = 1024
    @Option(help: "Texts one request may hold.") var maxClientBatch = 2048
    @Option(help: "Largest request body, in bytes (413 above).") var maxBodyBytes = 2 << 20
    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.") var logLevel = "info"
    @OptionGroup var compute: ComputeOptions

    func run() async throws {
        try compute.apply()
        guard let level = Logger.Level(rawValue: logLevel) else { throw ValidationError("--log-level: unknown level '\(logLevel)'") }
        guard maxQueue > 0, maxBatchTokens > 0, maxClientBatch > 0, maxWaitMs >= 0 else {
            throw ValidationError("--max-queue, --max-batch-tokens and --max-client-batch must be positive, --max-wait-ms not negative")
        }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "bertkit.serve")
        let keys = apiKey.isEmpty ? (ProcessInfo.processInfo.environment["BERTKIT_API_KEY"].map { [$0] } ?? []) : apiKey
        let metrics = ServerMetrics()
        MetricsSystem.bootstrap(metrics.factory)
        logger.info("loading", metadata: ["model": "\(modelOptions.model)"])
        let model = try ServedModel(model: modelOptions.model, revision: modelOptions.revision,
                                    adapter: adapter.adapter.map { URL(fileURLWithPath: $0) })
        let settings = ServeSettings(
            host: host, port: port, apiKeys: APIKeys(keys), maxBodyBytes: maxBodyBytes, maxInputsPerRequest: maxClientBatch,
            batching: .init(maxBatchTokens: maxBatchTokens, maxWait: .milliseconds(maxWaitMs), capacity: maxQueue))
        let server = EmbeddingServer(model: model, settings: settings, metrics: metrics, logger: logger)
        try await server.application().runService()
        logger.info("stopped")
    }
}
