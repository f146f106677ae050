import BertKit
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
import UnixSignals

/// The embedding and classification server: its routes, batching queue and metrics.
///
/// ```swift
/// let server = EmbeddingServer(model: try ServedModel(model: "sentence-transformers/all-MiniLM-L6-v2"), settings: ServeSettings())
/// try await server.application().runService()   // until SIGTERM or SIGINT
/// ```
public final class EmbeddingServer: Sendable {
    public let model: ServedModel
    public let settings: ServeSettings
    public let queue: BatchQueue<Encoding, WorkOutput>
    public let metrics: ServerMetrics
    public let logger: Logger
    /// Requests that reached the routes, and those answered (any status); equal once idle.
    let received = Atomic<Int>(0)
    let answered = Atomic<Int>(0)

    /// Requests that reached the routes, and those answered so far.
    public var requestCounts: (received: Int, answered: Int) {
        (received.load(ordering: .relaxed), answered.load(ordering: .relaxed))
    }

    /// The route names metrics use; any other path counts as "other".
    static let routes: Set<String> = ["/v1/embeddings", "/embed", "/predict", "/answer", "/tokenize", "/health", "/info", "/metrics"]

    public init(model: ServedModel, settings: ServeSettings, metrics: ServerMetrics = ServerMetrics(),
                logger: Logger = Logger(label: "bertkit.serve")) {
        self.model = model
        self.settings = settings
        self.metrics = metrics
        self.logger = logger
        let maxBatchTokens = settings.batching.maxBatchTokens
        queue = BatchQueue(limits: settings.batching, onBatch: { [metrics] in metrics.batch($0) }) { [model] items, group in
            try model.run(items, kind: WorkKind(rawValue: group)!, maxBatchTokens: maxBatchTokens)
        }
    }

    /// The routes, behind the metrics, logging and API-key middleware.
    public func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: ServingMiddleware(server: self))
        router.post("/v1/embeddings") { request, _ in try await self.openAIEmbeddings(request) }
        router.post("/embed") { request, _ in try await self.embed(request) }
        router.post("/predict") { request, _ in try await self.predict(request) }
        router.post("/answer") { request, _ in try await self.answer(request) }
        router.post("/tokenize") { request, _ in try await self.tokenize(request) }
        router.get("/health") { _, _ in Self.json("{\"status\":\"ok\"}") }
        router.get("/info") { _, _ in Self.json(self.info) }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(string: self.metrics.render())))
        }
        return router
    }

    /// The application: the HTTP server, then the batching queue. On SIGTERM the server stops
    /// accepting and answers what it holds; then the queue, which by then is empty, stops.
    /// Each connection is held to ``ServeSettings/connections``.
    public func application() -> some ApplicationProtocol {
        let limits = settings.connections
        let connections = OpenConnections(limit: limits.maxConnections)
        return Application(
            router: router(),
            server: HTTPServerBuilder { responder in
                GuardedHTTP1Channel(http1: HTTP1Channel(responder: responder), limits: limits, connections: connections)
            },
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "bertkit",
                                 availableConnectionsDelegate: connections),
            services: [BatcherService(server: self)],
            onServerRunning: { [logger, model] channel in
                logger.info("listening", metadata: ["address": "\(channel.localAddress.map { "\($0)" } ?? "?")", "model": "\(model.id)"])
            },
            logger: logger
        )
    }

    /// Serves until SIGTERM, SIGINT or SIGHUP, then answers what it accepted for at most
    /// ``ServeSettings/shutdownTimeout`` and closes what is left.
    public func run() async throws {
        try settings.validate()
        let group = ServiceGroup(configuration: .init(services: [application()], gracefulShutdownSignals: [.sigterm, .sigint, .sighup],
                                                      logger: logger))
        let serving = Task { try await group.run() }
        let deadline = Task { [logger, settings] in
            var signals = await UnixSignalsSequence(trapping: .sigterm, .sigint, .sighup).makeAsyncIterator()
            guard let signal = await signals.next() else { return false }
            logger.info("stopping", metadata: ["signal": "\(signal)", "shutdown_timeout": "\(settings.shutdownTimeout)"])
            guard (try? await Task.sleep(for: settings.shutdownTimeout)) != nil else { return false }
            let (received, answered) = requestCounts
            logger.warning("shutdown timeout: closing the connections left",
                           metadata: ["requests_unanswered": "\(received - answered)"])
            serving.cancel()
            return true
        }
        defer { deadline.cancel() }
        do {
            try await serving.value
        } catch {
            deadline.cancel()
            guard await deadline.value else { throw error }
        }
    }

    // MARK: Routes

    func openAIEmbeddings(_ request: Request) async throws -> Response {
        let body = try await decode(OpenAIEmbeddingRequest.self, request, style: .openAI)
        let encodings = try encode(body.input, truncate: body.truncate ?? false, style: .openAI)
        let outputs = try await submit(encodings, kind: .embed, style: .openAI)
        let tokens = encodings.reduce(0) { $0 + $1.count }
        var out = "{\"object\":\"list\",\"data\":["
        for (i, output) in outputs.enumerated() {
            guard case .vector(var v) = output else { continue }
            if model.normalizesByDefault { v = l2Normalized(v) }
            if i > 0 { out += "," }
            out += "{\"object\":\"embedding\",\"index\":\(i),\"embedding\":"
            if body.encodingFormat == .base64 { out += "\"" + Self.base64(v) + "\"" } else { JSONWriter.floats(v, into: &out) }
            out += "}"
        }
        out += "],\"model\":\(JSONWriter.string(body.model ?? model.id)),\"usage\":{\"prompt_tokens\":\(tokens),\"total_tokens\":\(tokens)}}"
        return Self.json(out)
    }

    func embed(_ request: Request) async throws -> Response {
        let body = try await decode(TEIEmbedRequest.self, request, style: .tei)
        let encodings = try encode(body.inputs, truncate: body.truncate ?? false, style: .tei)
        let outputs = try await submit(encodings, kind: .embed, style: .tei)
        var out = "["
        for (i, output) in outputs.enumerated() {
            guard case .vector(let v) = output else { continue }
            if i > 0 { out += "," }
            JSONWriter.floats((body.normalize ?? true) ? l2Normalized(v) : v, into: &out)
        }
        return Self.json(out + "]")
    }

    func predict(_ request: Request) async throws -> Response {
        guard model.canPredict, let tokenizer = model.classifierTokenizer, let maxLength = model.classifierMaxLength,
              let labels = model.labels, let task = model.task else {
            throw ServeError.invalid("this server's model has no classification head; serve a folder written by `bertkit train`", .tei)
        }
        let body = try await decode(TEIPredictRequest.self, request, style: .tei)
        let sequences = body.inputs.all
        guard sequences.count <= settings.maxInputsPerRequest else {
            throw ServeError.invalid("at most \(settings.maxInputsPerRequest) inputs per request, got \(sequences.count)", .tei)
        }
        var encodings = sequences.map { tokenizer.encode($0.0, pair: $0.1) }
        for (i, e) in encodings.enumerated() where e.count > maxLength {
            guard body.truncate ?? false else { throw Self.tooLong(i, e.count, maxLength, .tei) }
            var t = tokenizer
            t.truncation = Truncation(maxLength: maxLength)
            encodings[i] = t.encode(sequences[i].0, pair: sequences[i].1)
        }
        let outputs = try await submit(encodings, kind: .predict, style: .tei)
        let answers = outputs.map { output -> String in
            guard case .prediction(let p) = output else { return "[]" }
            let scores: [(String, Float)]
            switch task {
            case .regression: scores = [(labels.first ?? "LABEL_0", p.value ?? 0)]
            default: scores = zip(labels, (body.rawScores ?? false) ? (p.logits.first ?? nil) ?? [] : p.probabilities).map { ($0, $1) }
            }
            return "[" + scores.sorted { $0.1 > $1.1 }
                .map { "{\"score\":\(JSONWriter.number($0.1)),\"label\":\(JSONWriter.string($0.0))}" }
                .joined(separator: ",") + "]"
        }
        return Self.json(body.inputs.isBatch ? "[" + answers.joined(separator: ",") + "]" : answers[0])
    }

    func tokenize(_ request: Request) async throws -> Response {
        let body = try await decode(TEITokenizeRequest.self, request, style: .tei)
        guard case .texts(let texts) = body.inputs else { throw ServeError.invalid("'inputs' must be a string or an array of strings", .tei) }
        guard texts.count <= settings.maxInputsPerRequest else {
            throw ServeError.invalid("at most \(settings.maxInputsPerRequest) inputs per request, got \(texts.count)", .tei)
        }
        let encodings = model.tokenizer.encodeBatch(texts, addSpecialTokens: body.addSpecialTokens ?? true)
        let out = encodings.map { e in
            "[" + (0..<e.count).map { i in
                let special = e.specialTokensMask[i] == 1
                let span = special ? "\"start\":null,\"stop\":null" : "\"start\":\(e.offsets[i].lowerBound),\"stop\":\(e.offsets[i].upperBound)"
                return "{\"id\":\(e.ids[i]),\"text\":\(JSONWriter.string(e.tokens[i])),\"special\":\(special),\(span)}"
            }.joined(separator: ",") + "]"
        }
        return Self.json("[" + out.joined(separator: ",") + "]")
    }

    /// `GET /info`, with the precision the dense layers run in (`--precision`).
    var info: String {
        let tasks = model.canPredict ? "[\"embed\",\"predict\"]" : "[\"embed\"]"
        let labels = model.labels.map { "[" + $0.map(JSONWriter.string).joined(separator: ",") + "]" } ?? "null"
        return """
            {"model_id":\(JSONWriter.string(model.id)),"family":\(JSONWriter.string(model.family)),\
            "dimension":\(model.dimension),"max_input_length":\(model.maxLength),"precision":"\(Precision.current.rawValue)",\
            "backend":\(JSONWriter.string(Self.backend)),"threads":\(Threads.count),\
            "max_batch_tokens":\(settings.batching.maxBatchTokens),"max_queue":\(settings.batching.capacity),\
            "max_client_batch_size":\(settings.maxInputsPerRequest),"normalize":\(model.normalizesByDefault),\
            "tasks":\(tasks),"labels":\(labels)}
            """
    }

    /// The matrix backend and the kernel of the precision in use (`bertkit env` has the rest).
    static var backend: String {
        let backend = MatrixBackend.current
        let kernel = Precision.current == .bf16 ? backend.bf16Kernel : Precision.current == .int8 ? backend.int8Kernel : backend.fp32Kernel
        return "cpu (\(backend.name), \(kernel.name))"
    }

    // MARK: Helpers

    /// The body decoded, after the size check (413).
    func decode<Body: Decodable>(_ type: Body.Type, _ request: Request, style: ErrorStyle) async throws -> Body {
        let limit = settings.maxBodyBytes
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > limit {
            throw ServeError(status: .contentTooLarge, message: "the body is over \(limit) bytes", style: style)
        }
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: limit) }
        catch is NIOTooManyBytesError { throw ServeError(status: .contentTooLarge, message: "the body is over \(limit) bytes", style: style) }
        return try decodeBody(Body.self, from: buffer, style: style)
    }

    /// Tokenizes texts (or checks token ids), refusing or truncating what is over the max length.
    func encode(_ inputs: Inputs, truncate: Bool, style: ErrorStyle) throws -> [Encoding] {
        guard inputs.count <= settings.maxInputsPerRequest else {
            throw ServeError.invalid("at most \(settings.maxInputsPerRequest) inputs per request, got \(inputs.count)", style)
        }
        let maxLength = model.maxLength
        switch inputs {
        case .texts(let texts):
            var encodings = texts.count == 1 ? [model.tokenizer.encode(texts[0])] : model.tokenizer.encodeBatch(texts)
            for (i, e) in encodings.enumerated() where e.count > maxLength {
                guard truncate else { throw Self.tooLong(i, e.count, maxLength, style) }
                var t = model.tokenizer
                t.truncation = Truncation(maxLength: maxLength)
                encodings[i] = t.encode(texts[i])
            }
            return encodings
        case .tokens(let lists):
            return try lists.enumerated().map { i, ids in
                if let bad = ids.first(where: { Int($0) >= model.vocabularySize }) {
                    throw ServeError.invalid("token id \(bad) in input \(i) is outside the vocabulary (\(model.vocabularySize) tokens)", style)
                }
                if ids.count > maxLength && !truncate { throw Self.tooLong(i, ids.count, maxLength, style) }
                let kept = Array(ids.prefix(maxLength))
                let n = kept.count
                return Encoding(ids: kept, tokens: kept.map { model.tokenizer.idToToken($0) ?? "" }, offsets: Array(repeating: 0..<0, count: n),
                                typeIds: Array(repeating: 0, count: n), attentionMask: Array(repeating: 1, count: n),
                                specialTokensMask: Array(repeating: 0, count: n), wordIds: Array(repeating: nil, count: n),
                                sequenceIds: Array(repeating: 0, count: n))
            }
        }
    }

    static func tooLong(_ i: Int, _ count: Int, _ maxLength: Int, _ style: ErrorStyle) -> ServeError {
        .invalid("input \(i) has \(count) tokens, more than the model's \(maxLength); send \"truncate\": true to cut it", style)
    }

    /// Queues a request's encodings and waits for their outputs; a full queue is a 503 at once.
    func submit(_ encodings: [Encoding], kind: WorkKind, style: ErrorStyle) async throws -> [WorkOutput] {
        do {
            return try await queue.submit(encodings, tokens: encodings.reduce(0) { $0 + $1.count }, group: kind.rawValue)
        } catch BatchQueueError.full {
            metrics.queue(depth: queue.depth)
            throw ServeError.overloaded("the queue is full (\(settings.batching.capacity) texts); retry shortly", style)
        } catch BatchQueueError.shuttingDown {
            throw ServeError.overloaded("the server is shutting down", style)
        } catch {
            logger.error("batch failed", metadata: ["error": "\(error)"])
            throw ServeError(status: .internalServerError, message: "the model failed: \(error)", style: style)
        }
    }

    /// The little-endian float32 bytes in base64, as OpenAI's `encoding_format: "base64"`.
    static func base64(_ v: [Float]) -> String {
        var bytes = [UInt8]()
        bytes.reserveCapacity(v.count * 4)
        for x in v {
            let b = x.bitPattern.littleEndian
            bytes += [UInt8(truncatingIfNeeded: b), UInt8(truncatingIfNeeded: b >> 8),
                      UInt8(truncatingIfNeeded: b >> 16), UInt8(truncatingIfNeeded: b >> 24)]
        }
        return Data(bytes).base64EncodedString()
    }

    static func json(_ s: String) -> Response {
        Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: s)))
    }
}

/// Runs beside the HTTP server; when graceful shutdown reaches it (after the server has answered
/// everything it accepted), the queue finishes any work left and its thread exits.
struct BatcherService: Service {
    let server: EmbeddingServer

    func run() async throws {
        try? await gracefulShutdown()
        server.logger.info("draining the batch queue", metadata: ["waiting": "\(server.queue.depth)"])
        server.queue.shutdown()
        await server.queue.drained()
        let (received, answered) = server.requestCounts
        server.logger.info("batch queue stopped", metadata: ["requests_received": "\(received)", "requests_answered": "\(answered)"])
    }
}

/// Metrics, request logs and API keys for every route.
struct ServingMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let server: EmbeddingServer

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let path = request.uri.path
        let route = EmbeddingServer.routes.contains(path) ? path : "other"
        let style: ErrorStyle = path.hasPrefix("/v1/") ? .openAI : .tei
        var status = 500
        server.received.add(1, ordering: .relaxed)
        defer {
            server.answered.add(1, ordering: .relaxed)
            let elapsed = seconds(ContinuousClock.now - start)
            server.metrics.request(route: route, status: status, seconds: elapsed)
            server.logger.debug("request", metadata: ["method": "\(request.method)", "route": "\(route)", "status": "\(status)",
                                                      "ms": "\(Int(elapsed * 1000))"])
        }
        do {
            if path != "/health" && path != "/metrics" && !server.settings.apiKeys.accepts(authorization: request.headers[.authorization]) {
                var headers = HTTPFields()
                headers[.wwwAuthenticate] = "Bearer"
                throw ServeError(status: .unauthorized, message: "a valid API key is required (Authorization: Bearer KEY)",
                                 style: style, headers: headers, code: "invalid_api_key")
            }
            let response = try await next(request, context)
            status = response.status.code
            return response
        } catch let error as any HTTPResponseError {
            status = error.status.code
            if status >= 500 && status != 503 { server.logger.error("request failed", metadata: ["route": "\(route)", "error": "\(error)"]) }
            throw error
        }
    }
}
