import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypesHTTP1
import Synchronization

/// How long a connection may take at each stage, and how many may be open at once.
public struct ConnectionLimits: Sendable {
    /// From connecting, or from the last answer, to the first byte of the next request.
    public var idleTimeout: Duration
    /// From a request's first byte to the end of its head.
    public var headerTimeout: Duration
    /// From the end of a request's head to the end of its body.
    public var bodyTimeout: Duration
    /// Open connections; at the cap, the connection idle the longest is closed for a new one, and
    /// with none idle, new connections wait in the listen backlog.
    public var maxConnections: Int

    public init(idleTimeout: Duration = .seconds(75), headerTimeout: Duration = .seconds(30), bodyTimeout: Duration = .seconds(60),
                maxConnections: Int = 1024) {
        self.idleTimeout = idleTimeout
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.maxConnections = maxConnections
    }
}

/// Hummingbird's HTTP/1 channel, with ``RequestDeadlines`` in each connection's pipeline.
struct GuardedHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value
    let http1: HTTP1Channel
    let limits: ConnectionLimits
    let connections: OpenConnections

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        http1.setup(channel: channel, logger: logger).flatMapThrowing { [limits, connections] value in
            let deadlines = RequestDeadlines(limits: limits, connections: connections, logger: logger)
            let pipeline = channel.pipeline.syncOperations
            try pipeline.addHandler(deadlines.bytes, position: .first)
            try pipeline.addHandler(deadlines, position: .before(try pipeline.handler(type: HTTP1ToHTTPServerCodec.self)))
            return value
        }
    }

    func handle(value: Value, logger: Logger) async {
        await http1.handle(value: value, logger: logger)
    }
}

/// The open connections, and since when each idle one has waited: at the cap, a new connection
/// closes the one idle the longest, so silent clients cannot lock out a health check.
final class OpenConnections: AvailableConnectionsDelegate, Sendable {
    let limit: Int
    private typealias State = (open: Int, idle: [ObjectIdentifier: (since: ContinuousClock.Instant, channel: any Channel)])
    private let state = Mutex<State>((0, [:]))

    init(limit: Int) { self.limit = limit }

    func connectionOpened() { evictIfFull { $0.open += 1 } }
    func connectionClosed() { state.withLock { $0.open -= 1 } }
    func isAcceptingNewConnections() -> Bool { state.withLock { $0.open < limit } }

    /// A connection waits for its next request: at the cap, the one idle the longest goes (new
    /// connections may be waiting to be accepted, and they learn of no other way in).
    func idle(_ channel: any Channel) { evictIfFull { $0.idle[ObjectIdentifier(channel)] = (.now, channel) } }
    func busy(_ channel: any Channel) { state.withLock { _ = $0.idle.removeValue(forKey: ObjectIdentifier(channel)) } }

    private func evictIfFull(after change: (inout State) -> Void) {
        let evicted: (any Channel)? = state.withLock { state in
            change(&state)
            guard state.open >= limit, let oldest = state.idle.min(by: { $0.value.since < $1.value.since }) else { return nil }
            state.idle[oldest.key] = nil
            return oldest.value.channel
        }
        evicted?.close(promise: nil)
    }
}

/// Closes a connection that overstays its stage (``ConnectionLimits``), and one whose request
/// was not keep-alive (HTTP/1.0 without `Connection: keep-alive`, or `Connection: close`)
/// once its answer is written. Sits on HTTP/1 parts; its ``bytes`` handler, first in the
/// pipeline, tells it when a request's first byte arrives.
final class RequestDeadlines: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    enum Stage: String { case idle, header, body, answering }

    let limits: ConnectionLimits
    let connections: OpenConnections
    let logger: Logger
    private(set) var stage = Stage.idle
    private var keepAlive = true
    private var deadline: Scheduled<Void>?
    private var context: ChannelHandlerContext?
    private(set) lazy var bytes = FirstBytes(owner: self)

    init(limits: ConnectionLimits, connections: OpenConnections, logger: Logger) {
        self.limits = limits
        self.connections = connections
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { enter(.idle) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        connections.busy(context.channel)
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        enter(.idle)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        connections.busy(context.channel)
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            keepAlive = head.isKeepAlive
            enter(.body)
        case .body: break
        case .end: if stage == .body { enter(.answering) }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head) where !keepAlive:
            head.headers.replaceOrAdd(name: "connection", value: "close")
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end where !keepAlive:
            context.writeAndFlush(data, promise: promise)
            context.close(promise: nil)
        case .end:
            context.write(data, promise: promise)
            if stage == .answering { enter(.idle) }
        default:
            context.write(data, promise: promise)
        }
    }

    /// A byte arrived while the connection waited for a request.
    fileprivate func requestStarted() {
        if stage == .idle { enter(.header) }
    }

    private func enter(_ next: Stage) {
        guard let context else { return }
        stage = next
        deadline?.cancel()
        deadline = nil
        if next == .idle { connections.idle(context.channel) } else { connections.busy(context.channel) }
        let limit: Duration
        switch next {
        case .idle: limit = limits.idleTimeout
        case .header: limit = limits.headerTimeout
        case .body: limit = limits.bodyTimeout
        case .answering: return
        }
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(limit)) { [self] in
            guard stage == next, let context = self.context else { return }
            logger.debug("closing a connection", metadata: ["reason": "\(next.rawValue) timeout", "seconds": "\(limit)"])
            context.close(promise: nil)
        }
    }

    /// The first handler of the pipeline: passes bytes on and tells its owner that some arrived.
    final class FirstBytes: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = ByteBuffer
        weak var owner: RequestDeadlines?

        init(owner: RequestDeadlines) { self.owner = owner }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            owner?.requestStarted()
            context.fireChannelRead(data)
        }
    }
}
