import Foundation
import Serving
import Synchronization
import XCTest

final class BatchQueueTests: XCTestCase {
    /// Records every batch the worker ran.
    final class Log: Sendable {
        let batches = Mutex<[[Int]]>([])
    }

    final class Flag: Sendable {
        let value = Atomic<Bool>(false)
    }

    /// Concurrent requests share batches; each gets exactly its own outputs, in order.
    func testConcurrentRequestsAreBatchedAndNeverSplit() async throws {
        let log = Log()
        let queue = BatchQueue<Int, Int>(limits: .init(maxBatchTokens: 1000, maxWait: .milliseconds(50), capacity: 1000)) { items, _ in
            log.batches.withLock { $0.append(items) }
            return items.map { $0 * 10 }
        }
        defer { queue.shutdown() }
        let results = try await withThrowingTaskGroup(of: (Int, [Int]).self) { group in
            for r in 0..<20 {
                let items = (0..<(r % 3 + 1)).map { r * 100 + $0 }
                group.addTask { (r, try await queue.submit(items, tokens: items.count)) }
            }
            return try await group.reduce(into: [Int: [Int]]()) { $0[$1.0] = $1.1 }
        }
        for r in 0..<20 {
            XCTAssertEqual(results[r], (0..<(r % 3 + 1)).map { (r * 100 + $0) * 10 })
        }
        let batches = log.batches.withLock { $0 }
        XCTAssertLessThan(batches.count, 20, "requests waiting together share a batch")
        // A request's items are contiguous in one batch.
        for r in 0..<20 {
            let items = (0..<(r % 3 + 1)).map { r * 100 + $0 }
            XCTAssertEqual(batches.filter { $0.contains(items[0]) }.count, 1)
            let batch = batches.first { $0.contains(items[0]) }!
            let start = batch.firstIndex(of: items[0])!
            XCTAssertEqual(Array(batch[start..<(start + items.count)]), items)
        }
    }

    /// The token budget caps a batch, but a request over the budget still runs (alone).
    func testTokenBudget() async throws {
        let log = Log()
        let queue = BatchQueue<Int, Int>(limits: .init(maxBatchTokens: 10, maxWait: .milliseconds(100), capacity: 100)) { items, _ in
            log.batches.withLock { $0.append(items) }
            return items
        }
        defer { queue.shutdown() }
        async let a = queue.submit([1], tokens: 6)
        async let b = queue.submit([2], tokens: 6)
        async let c = queue.submit([3], tokens: 50)
        let all = try await [a, b, c]
        XCTAssertEqual(all, [[1], [2], [3]])
        let batches = log.batches.withLock { $0 }
        XCTAssertTrue(batches.allSatisfy { $0.count == 1 }, "\(batches)")
    }

    /// Groups never mix in one batch.
    func testGroupsRunInSeparateBatches() async throws {
        let log = Log()
        let queue = BatchQueue<Int, Int>(limits: .init(maxBatchTokens: 100, maxWait: .milliseconds(50), capacity: 100)) { items, group in
            log.batches.withLock { $0.append(items.map { _ in group }) }
            return items
        }
        defer { queue.shutdown() }
        async let a = queue.submit([1, 2], tokens: 2, group: 0)
        async let b = queue.submit([3], tokens: 1, group: 1)
        async let c = queue.submit([4], tokens: 1, group: 0)
        _ = try await (a, b, c)
        for batch in log.batches.withLock({ $0 }) { XCTAssertEqual(Set(batch).count, 1) }
    }

    /// A full queue refuses at once, without waiting for the running batch.
    func testFullQueueRefusesImmediately() async throws {
        let gate = DispatchSemaphore(value: 0)
        let started = Flag()
        let queue = BatchQueue<Int, Int>(limits: .init(maxBatchTokens: 1, maxWait: .zero, capacity: 2)) { items, _ in
            if items == [0] {   // the first batch blocks the worker
                started.value.store(true, ordering: .sequentiallyConsistent)
                gate.wait()
            }
            return items
        }
        defer { queue.shutdown() }
        let first = Task { try await queue.submit([0], tokens: 1) }
        try await waitUntil("the first batch starts") { started.value.load(ordering: .sequentiallyConsistent) }
        let waiting = Task { try await queue.submit([1, 2], tokens: 2) }
        try await waitUntil("two requests queued, depth \(queue.depth)") { queue.depth >= 2 }
        let start = ContinuousClock.now
        do {
            _ = try await queue.submit([3], tokens: 1)
            XCTFail("a full queue must refuse")
        } catch let error as BatchQueueError {
            XCTAssertEqual(error, .full)
        }
        XCTAssertLessThan(ContinuousClock.now - start, .milliseconds(100))
        gate.signal()
        let firstResult = try await first.value
        let waitingResult = try await waiting.value
        XCTAssertEqual(firstResult, [0])
        XCTAssertEqual(waitingResult, [1, 2])
    }

    /// Shutdown refuses new work but finishes every request already queued.
    func testShutdownDrainsQueuedWork() async throws {
        // The worker holds each batch until the gate opens, so that all ten requests are taken
        // (queued, or in the batch being run) before the shutdown, however slowly the tasks start.
        let log = Log(), gate = DispatchSemaphore(value: 0)
        let queue = BatchQueue<Int, Int>(limits: .init(maxBatchTokens: 2, maxWait: .milliseconds(1), capacity: 100)) { items, _ in
            log.batches.withLock { $0.append(items) }
            gate.wait()
            return items.map { $0 + 1 }
        }
        let tasks = (0..<10).map { i in Task { try await queue.submit([i], tokens: 1) } }
        defer { for _ in 0..<10 { gate.signal() } }   // never leave the worker held, even when the wait fails
        let taken = { queue.depth + log.batches.withLock { $0.joined().count } }
        try await waitUntil("all ten requests taken, \(taken()) were") { taken() == 10 }
        queue.shutdown()
        do {
            _ = try await queue.submit([99], tokens: 1)
            XCTFail("a draining queue takes no new work")
        } catch let error as BatchQueueError {
            XCTAssertEqual(error, .shuttingDown)
        }
        for _ in 0..<10 { gate.signal() }
        for (i, t) in tasks.enumerated() {
            let result = try await t.value
            XCTAssertEqual(result, [i + 1])
        }
        await queue.drained()
    }

    /// An error thrown by the batch reaches every request in it, and the worker goes on.
    func testBatchErrorsReachTheirRequests() async throws {
        struct Boom: Error {}
        let queue = BatchQueue<Int, Int>(limits: .init(maxBatchTokens: 100, maxWait: .zero, capacity: 100)) { items, _ in
            if items.contains(-1) { throw Boom() }
            return items
        }
        defer { queue.shutdown() }
        do {
            _ = try await queue.submit([-1], tokens: 1)
            XCTFail("expected the batch's error")
        } catch is Boom {}
        let result = try await queue.submit([5], tokens: 1)
        XCTAssertEqual(result, [5])
    }
}
