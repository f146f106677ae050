import Foundation
import Synchronization

/// Why ``BatchQueue/submit(_:tokens:group:)`` refused a request.
public enum BatchQueueError: Error, Equatable, Sendable {
    /// The queue holds ``BatchQueue/Limits/capacity`` items already; try again later.
    case full
    /// The queue is draining for shutdown and takes no new work.
    case shuttingDown
}

/// Dynamic batching without HTTP: concurrent requests are gathered into one batch, up to a token
/// budget and a short wait, and one worker thread runs the batches one at a time.
///
/// Each request is a list of items (one per text) with its token count. A request is never split:
/// all its items go into the same batch, and its caller gets exactly its own results, in order.
/// Batches hold requests of one `group` only (e.g. embeddings or classification). The worker is
/// a dedicated thread, not a Swift concurrency or NIO thread, so the compute never blocks an event
/// loop; the compute itself may fan out over BertKit's own threads.
///
/// The queue is bounded: when `capacity` items wait, `submit` throws ``BatchQueueError/full`` at
/// once. ``shutdown()`` stops intake and lets the worker finish everything already queued.
public final class BatchQueue<Item: Sendable, Output: Sendable>: Sendable {
    public struct Limits: Sendable {
        /// A batch stops growing when the next request would take it past this many tokens
        /// (a batch always takes at least one request, however long).
        public var maxBatchTokens: Int
        /// How long the oldest waiting request may wait for others to join its batch.
        public var maxWait: Duration
        /// Items (texts) that may wait at once; more are refused with ``BatchQueueError/full``.
        public var capacity: Int

        public init(maxBatchTokens: Int = 8192, maxWait: Duration = .milliseconds(2), capacity: Int = 1024) {
            self.maxBatchTokens = maxBatchTokens
            self.maxWait = maxWait
            self.capacity = capacity
        }
    }

    /// What the worker saw when it ran a batch (for metrics).
    public struct BatchReport: Sendable {
        public var group: Int
        public var requests: Int
        public var items: Int
        public var tokens: Int
        public var seconds: Double
        /// Items still waiting when the batch started.
        public var queuedAfter: Int
    }

    /// Runs one batch: all items of one group, in request order; returns one output per item.
    public typealias Process = @Sendable (_ items: [Item], _ group: Int) throws -> [Output]

    private struct Pending: Sendable {
        var items: [Item]
        var tokens: Int
        var group: Int
        var arrival: ContinuousClock.Instant
        var continuation: CheckedContinuation<[Output], any Error>
    }

    private struct State {
        var pending: [Pending] = []
        var pendingItems = 0
        var stopping = false
        var finished = false
        var drainWaiters: [CheckedContinuation<Void, Never>] = []
    }

    /// What the worker does next.
    private enum Step: Sendable {
        case run([Pending], items: Int, queuedAfter: Int)
        case wait(until: DispatchTime)
        case exit
    }

    public let limits: Limits
    private let process: Process
    private let onBatch: @Sendable (BatchReport) -> Void
    private let state = Mutex(State())
    /// Signalled after every change the worker may wait for (a request, shutdown). It counts, so a
    /// signal made while the worker runs a batch is not lost; an extra one costs a look at `state`.
    private let wakeUp = DispatchSemaphore(value: 0)

    /// Starts the worker thread.
    ///
    /// - Parameter onBatch: called on the worker thread after each batch.
    public init(limits: Limits, onBatch: @escaping @Sendable (BatchReport) -> Void = { _ in }, process: @escaping Process) {
        self.limits = limits
        self.process = process
        self.onBatch = onBatch
        let thread = Thread { [self] in work() }
        thread.name = "bertkit-batcher"
        thread.start()
    }

    /// Items waiting (not counting the batch being run).
    public var depth: Int { state.withLock { $0.pendingItems } }

    /// Queues one request's items and waits for their outputs (in the same order).
    ///
    /// - Parameters:
    ///   - tokens: the request's token count, for the batch budget.
    ///   - group: requests batch only with requests of the same group.
    /// - Throws: ``BatchQueueError`` at once when refused; else what `process` threw for its batch.
    public func submit(_ items: [Item], tokens: Int, group: Int = 0) async throws -> [Output] {
        if items.isEmpty { return [] }
        return try await withCheckedThrowingContinuation { continuation in
            let refusal = state.withLock { state -> BatchQueueError? in
                if state.stopping { return .shuttingDown }
                // A request larger than the whole capacity still runs when it would wait alone.
                if state.pendingItems > 0 && state.pendingItems + items.count > limits.capacity { return .full }
                state.pending.append(Pending(items: items, tokens: tokens, group: group, arrival: .now, continuation: continuation))
                state.pendingItems += items.count
                return nil
            }
            if let refusal { continuation.resume(throwing: refusal) } else { wakeUp.signal() }
        }
    }

    /// Stops intake; the worker finishes what is queued, then exits.
    public func shutdown() {
        state.withLock { $0.stopping = true }
        wakeUp.signal()
    }

    /// Returns when the worker has run everything queued before ``shutdown()`` and exited.
    public func drained() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let finished = state.withLock { state in
                if !state.finished { state.drainWaiters.append(c) }
                return state.finished
            }
            if finished { c.resume() }
        }
    }

    // MARK: The worker

    private func work() {
        while true {
            switch nextStep() {
            case .run(let batch, let items, let queuedAfter):
                run(batch, items: items, queuedAfter: queuedAfter)
            case .wait(let deadline):
                _ = wakeUp.wait(timeout: deadline)
            case .exit:
                let waiters = state.withLock { state in
                    state.finished = true
                    return state.drainWaiters
                }
                for w in waiters { w.resume() }
                return
            }
        }
    }

    /// The oldest request's batch once its group's tokens meet the budget, it has waited
    /// `maxWait` for others to join, or the queue drains; else how long to wait.
    private func nextStep() -> Step {
        state.withLock { state in
            guard let oldest = state.pending.first else { return state.stopping ? .exit : .wait(until: .distantFuture) }
            let left = oldest.arrival + limits.maxWait - .now
            let tokens = state.pending.reduce(0) { $0 + ($1.group == oldest.group ? $1.tokens : 0) }
            guard state.stopping || tokens >= limits.maxBatchTokens || left <= .zero else {
                return .wait(until: .now() + seconds(left))
            }
            let batch = takeBatch(&state.pending)
            let items = batch.reduce(0) { $0 + $1.items.count }
            state.pendingItems -= items
            return .run(batch, items: items, queuedAfter: state.pendingItems)
        }
    }

    /// The oldest request, then every later request of its group that fits the token budget.
    private func takeBatch(_ pending: inout [Pending]) -> [Pending] {
        let group = pending[0].group
        var taken = [pending[0]], rest: [Pending] = []
        var tokens = pending[0].tokens
        for p in pending.dropFirst() {
            if p.group == group && tokens + p.tokens <= limits.maxBatchTokens {
                taken.append(p)
                tokens += p.tokens
            } else {
                rest.append(p)
            }
        }
        pending = rest
        return taken
    }

    private func run(_ batch: [Pending], items: Int, queuedAfter: Int) {
        let start = ContinuousClock.now
        let group = batch[0].group
        let result = Result { try process(batch.flatMap(\.items), group) }
        let elapsed = ContinuousClock.now - start
        // Report first, so that whoever reads metrics after their answer sees this batch in them.
        onBatch(BatchReport(group: group, requests: batch.count, items: items, tokens: batch.reduce(0) { $0 + $1.tokens },
                            seconds: seconds(elapsed), queuedAfter: queuedAfter))
        switch result {
        case .success(let outputs) where outputs.count == items:
            var offset = 0
            for p in batch {
                p.continuation.resume(returning: Array(outputs[offset..<(offset + p.items.count)]))
                offset += p.items.count
            }
        case .success(let outputs):
            let error = BatchProcessError.wrongOutputCount(expected: items, got: outputs.count)
            for p in batch { p.continuation.resume(throwing: error) }
        case .failure(let error):
            for p in batch { p.continuation.resume(throwing: error) }
        }
    }
}

/// A `process` closure broke its contract.
public enum BatchProcessError: Error, Sendable {
    case wrongOutputCount(expected: Int, got: Int)
}

func seconds(_ d: Duration) -> Double {
    Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
}
