import struct Tokenizers.Encoding
import Foundation
import CoreMetrics
import struct Prometheus.PrometheusMetricsFactory
import class Prometheus.PrometheusCollectorRegistry

/// The server's metrics, through swift-metrics into a Prometheus registry that `GET /metrics`
/// renders in the text format.
public final class ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    /// The factory the metrics are made with; `bertkit serve` also bootstraps `MetricsSystem` with it.
    public let factory: PrometheusMetricsFactory

    private let queueDepth: CoreMetrics.Gauge
    private let batchSize: Recorder
    private let batchTokens: Recorder
    private let batchDuration: CoreMetrics.Timer
    private let tokens: CoreMetrics.Counter
    private let tokensPerSecond: CoreMetrics.Gauge

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        var factory = PrometheusMetricsFactory(registry: registry)
        let powersOfTwo = (0...11).map { Double(1 << $0) }
        factory.valueHistogramBuckets = [
            "bertkit_batch_size": powersOfTwo,
            "bertkit_batch_tokens": (4...16).map { Double(1 << $0) },
        ]
        factory.defaultDurationHistogramBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]
            .map { Duration.nanoseconds(Int64($0 * 1e9)) }
        self.factory = factory
        queueDepth = CoreMetrics.Gauge(label: "bertkit_queue_depth", factory: factory)
        batchSize = Recorder(label: "bertkit_batch_size", aggregate: true, factory: factory)
        batchTokens = Recorder(label: "bertkit_batch_tokens", aggregate: true, factory: factory)
        batchDuration = CoreMetrics.Timer(label: "bertkit_batch_duration_seconds", factory: factory)
        tokens = CoreMetrics.Counter(label: "bertkit_tokens_total", factory: factory)
        tokensPerSecond = CoreMetrics.Gauge(label: "bertkit_tokens_per_second", factory: factory)
    }

    /// One answered request: `bertkit_requests_total{route,status}` and the latency histogram.
    func request(route: String, status: Int, seconds: Double) {
        CoreMetrics.Counter(label: "bertkit_requests_total", dimensions: [("route", route), ("status", String(status))], factory: factory).increment()
        CoreMetrics.Timer(label: "bertkit_request_duration_seconds", dimensions: [("route", route)], factory: factory)
            .recordNanoseconds(Int64(seconds * 1e9))
    }

    func queue(depth: Int) {
        queueDepth.record(depth)
    }

    func batch(_ report: BatchQueue<Encoding, WorkOutput>.BatchReport) {
        batchSize.record(report.items)
        batchTokens.record(report.tokens)
        batchDuration.recordNanoseconds(Int64(report.seconds * 1e9))
        tokens.increment(by: report.tokens)
        if report.seconds > 0 { tokensPerSecond.record(Double(report.tokens) / report.seconds) }
        queueDepth.record(report.queuedAfter)
    }

    /// The Prometheus text format.
    public func render() -> String {
        registry.emitToString()
    }
}
