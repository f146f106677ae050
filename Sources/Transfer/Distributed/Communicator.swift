import CMPI
import Foundation
import Synchronization
import Tensor

#if canImport(Glibc)
import Glibc
#endif

/// The processes of a data-parallel job: MPI_COMM_WORLD when `mpirun` started this process, or
/// one process alone.
///
/// Open MPI's `libmpi.so.40` is loaded at run time (CMPI), only when the process was launched by
/// `mpirun` (`OMPI_COMM_WORLD_SIZE` is set): building BertKit, and running it without `mpirun`,
/// need no MPI at all. The calls are made from one thread (MPI_THREAD_FUNNELED).
public final class Communicator: @unchecked Sendable {   // MPI_THREAD_FUNNELED: used from one thread; its timings are plain vars
    /// This process's rank, 0 ..< size.
    public let rank: Int
    public let size: Int
    let usesMPI: Bool
    /// The MPI communicator; nil is MPI_COMM_WORLD.
    let handle: UnsafeMutableRawPointer?
    private var hostGroup: Communicator?
    private var peerGroup: Communicator?
    /// The ranks that run on this host, this one among them (MPI_Comm_split_type's shared-memory
    /// split; ``Settings/ranksPerHost`` k pretends that every k ranks in a row are a host, to test
    /// several hosts on one).
    public var host: Communicator { hostGroup ?? self }
    /// The ranks that have this rank's place on their hosts: one per host.
    public var peers: Communicator { peerGroup ?? self }
    /// Whether every rank runs on this host: a sum is then memory copies made by the ranks' own
    /// cores, which no overlap with computing can hide.
    public var ranksShareHost: Bool { host.size == size }
    /// Seconds spent inside MPI calls that move gradients and losses (allreduce start, progress and wait).
    public private(set) var reduceSeconds = 0.0
    /// Of those, the seconds spent waiting after the backward pass had ended (not overlapped).
    public private(set) var exposedSeconds = 0.0
    /// Floats summed over the ranks.
    public private(set) var reducedFloats = 0
    /// Seconds in the small blocking sums (a batch's loss): mostly waiting for the slowest rank.
    public private(set) var syncSeconds = 0.0
    /// Bytes of parameters and moments the ranks of this host share, each stepping a part
    /// (``SharedOptimizerState``); 0 when every rank takes the whole optimizer step.
    public internal(set) var sharedStepBytes = 0
    /// Whether the gradients are summed in that memory rather than by MPI's allreduce.
    public internal(set) var sumsInSharedMemory = false

    init(rank: Int, size: Int, usesMPI: Bool, handle: UnsafeMutableRawPointer? = nil) {
        (self.rank, self.size, self.usesMPI, self.handle) = (rank, size, usesMPI, handle)
    }

    /// One process, no MPI.
    public static let single = Communicator(rank: 0, size: 1, usesMPI: false)

    /// Rank 0 writes checkpoints, models, reports and output files.
    public var isLeader: Bool { rank == 0 }

    private static let started = Mutex<Communicator?>(nil)
    /// Whether MPI_Finalize or MPI_Abort has run (the exit handler reads it without the lock).
    private static let ended = Atomic<Bool>(false)

    /// Gives ``Threads`` this rank's share of the host's cores when `mpirun` placed several ranks
    /// here (`OMPI_COMM_WORLD_LOCAL_SIZE`): ranks bound to a socket share its cores too.
    public static func budgetThreads() {
        guard let local = ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_LOCAL_SIZE"].flatMap({ Int($0) }), local > 1 else { return }
        Threads.setBudget(max(1, ProcessInfo.processInfo.activeProcessorCount / local))
    }

    /// The job this process belongs to: MPI_COMM_WORLD under `mpirun` (Open MPI), else ``single``.
    /// ``Settings/mpiLibrary`` names another file to load than `libmpi.so.40`.
    public static func world() throws -> Communicator {
        try started.withLock { started throws -> Communicator in
            if started == nil { started = try start() }
            return started!
        }
    }

    /// MPI_COMM_WORLD with its host and peer groups, or ``single`` without `mpirun`.
    private static func start() throws -> Communicator {
        budgetThreads()
        let environment = ProcessInfo.processInfo.environment
        guard let sizeText = environment["OMPI_COMM_WORLD_SIZE"] else { return .single }
        let rankText = environment["OMPI_COMM_WORLD_RANK"] ?? "?"
        guard cmpi_load(Settings.mpiLibrary) == 0 else {
            throw DistributedError.unavailable("rank \(rankText) of \(sizeText): " + String(cString: cmpi_error_text())
                + ". Install Open MPI (scripts/bootstrap-mpi, or apt-get install openmpi-bin libopenmpi-dev)")
        }
        var rank: Int32 = 0, size: Int32 = 0
        guard cmpi_init(&rank, &size) == 0 else {
            throw DistributedError.failed(rank: Int(rankText) ?? -1, String(cString: cmpi_error_text()))
        }
        let world = Communicator(rank: Int(rank), size: Int(size), usesMPI: true)
        // A rank that exits without MPI_Finalize (an error, a crash in Swift code) ends the whole job
        // at once instead of leaving the others waiting in a collective.
        atexit { if !Communicator.ended.exchange(true, ordering: .relaxed) { _ = cmpi_abort(1) } }
        if size > 1 {
            var handle: UnsafeMutableRawPointer?, hostRank: Int32 = 0, hostSize: Int32 = 0
            if let perHost = Settings.ranksPerHost {
                try world.check(cmpi_comm_split(nil, rank / Int32(perHost), rank, &handle, &hostRank, &hostSize))
            } else {
                try world.check(cmpi_comm_split_host(&handle, &hostRank, &hostSize))
            }
            world.hostGroup = Communicator(rank: Int(hostRank), size: Int(hostSize), usesMPI: true, handle: handle)
            var peers: UnsafeMutableRawPointer?, peerRank: Int32 = 0, peerSize: Int32 = 0
            try world.check(cmpi_comm_split(nil, hostRank, rank, &peers, &peerRank, &peerSize))
            world.peerGroup = Communicator(rank: Int(peerRank), size: Int(peerSize), usesMPI: true, handle: peers)
        }
        return world
    }

    /// Ends MPI after a successful run (every rank must call it); nothing without MPI.
    public static func finish() {
        guard started.withLock({ $0?.usesMPI == true }), !ended.exchange(true, ordering: .relaxed) else { return }
        _ = cmpi_finalize()
    }

    func check(_ code: Int32) throws {
        guard code == 0 else { throw DistributedError.failed(rank: rank, String(cString: cmpi_error_text())) }
    }

    /// Waits for every rank.
    public func barrier() throws {
        guard usesMPI else { return }
        try check(cmpi_barrier(handle))
    }

    /// The sum over all ranks, on every rank.
    public func sum(_ values: [Double]) throws -> [Double] {
        guard usesMPI, size > 1 else { return values }
        var values = values
        let start = Date()
        try values.withUnsafeMutableBufferPointer { buffer in
            var request: UnsafeMutableRawPointer?
            try check(cmpi_iallreduce_sum_double(handle, buffer.baseAddress, Int32(buffer.count), &request))
            try politeWait(&request)
        }
        syncSeconds += Date().timeIntervalSince(start)
        return values
    }

    /// Rank 0's bytes, on every rank (all give a buffer of the same size).
    public func broadcast(_ bytes: inout [UInt8]) throws {
        guard usesMPI, size > 1 else { return }
        try bytes.withUnsafeMutableBytes { try check(cmpi_bcast_bytes(handle, $0.baseAddress, Int32($0.count), 0)) }
    }

    /// Every rank's bytes, in rank order, on rank 0 (nil elsewhere).
    public func gatherBytes(_ bytes: [UInt8]) throws -> [[UInt8]]? {
        guard usesMPI, size > 1 else { return [bytes] }
        var counts = [Int32](repeating: 0, count: size)
        try counts.withUnsafeMutableBufferPointer { try check(cmpi_gather_int(handle, Int32(bytes.count), $0.baseAddress, 0)) }
        var displacements = [Int32](repeating: 0, count: size)
        for r in 1..<size { displacements[r] = displacements[r - 1] + counts[r - 1] }
        var all = [UInt8](repeating: 0, count: isLeader ? Int(counts.reduce(0, +)) : 1)
        try bytes.withUnsafeBytes { send in
            try all.withUnsafeMutableBytes { receive in
                try check(cmpi_gatherv_bytes(handle, send.baseAddress, Int32(bytes.count), receive.baseAddress, counts, displacements, 0))
            }
        }
        guard isLeader else { return nil }
        return (0..<size).map { Array(all[Int(displacements[$0])..<Int(displacements[$0] + counts[$0])]) }
    }

    /// Fails on every rank unless all ranks hold the same `facts` (names and values, in order): rank 0
    /// throws ``DistributedError/disagree(_:)`` naming the first fact that differs and the ranks'
    /// values, the others ``DistributedError/stoppedByRankZero`` (to exit without a line of their own).
    public func agree(on facts: [(name: String, value: String)]) throws {
        guard usesMPI, size > 1 else { return }
        func encode(_ facts: [(name: String, value: String)]) -> [UInt8] {
            Array(facts.map { $0.name + "\u{1F}" + $0.value }.joined(separator: "\u{1E}").utf8)
        }
        func decode(_ bytes: [UInt8]) -> [(name: String, value: String)] {
            String(decoding: bytes, as: UTF8.self).split(separator: "\u{1E}", omittingEmptySubsequences: false).map { fact in
                let parts = fact.split(separator: "\u{1F}", maxSplits: 1, omittingEmptySubsequences: false)
                return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
            }
        }
        func shown(_ value: String) -> String { value.count > 160 ? String(value.prefix(160)) + "…" : value }
        var verdict: [UInt8] = []
        if let all = try gatherBytes(encode(facts)) {
            let first = decode(all[0])
            search: for r in 1..<size {
                let theirs = decode(all[r])
                for i in 0..<max(first.count, theirs.count) {
                    let none = (name: "nothing", value: "")
                    let a = i < first.count ? first[i] : none, b = i < theirs.count ? theirs[i] : none
                    guard a.name != b.name || a.value != b.value else { continue }
                    let name = a.name == b.name ? a.name : "\(a.name) / \(b.name)"
                    verdict = Array(("the ranks disagree on \(name): rank 0 has \(shown(a.value)), rank \(r) has \(shown(b.value)); "
                        + "every rank must run the same command on the same files").utf8)
                    break search
                }
            }
        }
        var length = withUnsafeBytes(of: UInt64(verdict.count).littleEndian, Array.init)
        try broadcast(&length)
        let count = Int(length.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }.littleEndian)
        guard count > 0 else { return }
        var message = isLeader ? verdict : [UInt8](repeating: 0, count: count)
        try broadcast(&message)
        throw isLeader ? DistributedError.disagree(String(decoding: message, as: UTF8.self)) : DistributedError.stoppedByRankZero
    }

    /// Every rank's floats, in rank order, on every rank.
    public func allGather(_ values: [Float]) throws -> [[Float]] {
        guard usesMPI, size > 1 else { return [values] }
        var counts = [Double](repeating: 0, count: size)
        counts[rank] = Double(values.count)
        counts = try sum(counts)
        let sizes = counts.map { Int32($0) }
        var displacements = [Int32](repeating: 0, count: size)
        for r in 1..<size { displacements[r] = displacements[r - 1] + sizes[r - 1] }
        var all = [Float](repeating: 0, count: Int(sizes.reduce(0, +)))
        try values.withUnsafeBufferPointer { send in
            try all.withUnsafeMutableBufferPointer { receive in
                try check(cmpi_allgatherv_float(handle, send.baseAddress, Int32(values.count), receive.baseAddress, sizes, displacements))
            }
        }
        return (0..<size).map { Array(all[Int(displacements[$0])..<Int(displacements[$0] + sizes[$0])]) }
    }

    /// Starts an in-place sum of `buffer` over all ranks.
    func startSum(_ buffer: ReduceBuffer) throws {
        guard usesMPI, size > 1 else { buffer.done = true; return }
        let start = Date()
        defer { reduceSeconds += Date().timeIntervalSince(start) }
        buffer.done = false
        reducedFloats += buffer.count
        try check(cmpi_iallreduce_sum_float(handle, buffer.pointer, Int32(buffer.count), &buffer.request))
    }

    /// Lets MPI move started sums forward; true when `buffer`'s is done.
    func progress(_ buffer: ReduceBuffer) throws -> Bool {
        guard !buffer.done else { return true }
        let start = Date()
        defer { reduceSeconds += Date().timeIntervalSince(start) }
        var flag: Int32 = 0
        try check(cmpi_test(&buffer.request, &flag))
        buffer.done = flag != 0
        return buffer.done
    }

    /// Sums `buffer` (its first `count` floats) over all ranks now, in place (after the backward
    /// pass: exposed time), with the blocking allreduce: Open MPI picks its algorithm for the
    /// message size, which on one host moves data faster than the non-blocking one driven by tests.
    func sumNow(_ buffer: ReduceBuffer, count: Int? = nil) throws {
        guard usesMPI, size > 1 else { return }
        let start = Date()
        defer {
            let t = Date().timeIntervalSince(start)
            reduceSeconds += t
            exposedSeconds += t
        }
        let count = count ?? buffer.count
        precondition(count <= buffer.count)
        reducedFloats += count
        try check(cmpi_allreduce_sum_float(handle, buffer.pointer, Int32(count)))
        buffer.done = true
    }

    /// Counts a sum made without MPI (in memory the ranks of one host share) as exposed time.
    func account(seconds: Double, floats: Int) {
        reduceSeconds += seconds
        exposedSeconds += seconds
        reducedFloats += floats
    }

    /// Waits for `buffer`'s sum (time counted as exposed: nothing else runs meanwhile).
    func wait(_ buffer: ReduceBuffer) throws {
        guard !buffer.done else { return }
        let start = Date()
        defer {
            let t = Date().timeIntervalSince(start)
            reduceSeconds += t
            exposedSeconds += t
        }
        try politeWait(&buffer.request)
        buffer.done = true
    }

    /// Waits for a request: tests it back to back for up to 2 ms (a non-blocking sum moves on
    /// only inside MPI calls, one round per test, and the partner is usually a round away), then
    /// every 50 µs with a sleep in between, where MPI_Wait would busy-poll: a rank that waits long
    /// leaves its core to the rank it waits for, which matters as soon as ranks share cores with
    /// each other or with anything else.
    func politeWait(_ request: inout UnsafeMutableRawPointer?) throws {
        var flag: Int32 = 0
        let spinUntil = DispatchTime.now().uptimeNanoseconds + 2_000_000
        while true {
            try check(cmpi_test(&request, &flag))
            if flag != 0 { return }
            if DispatchTime.now().uptimeNanoseconds > spinUntil { usleep(50) }
        }
    }
}

/// Floats at a fixed address, as a non-blocking MPI call needs until it completes.
final class ReduceBuffer {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int
    var request: UnsafeMutableRawPointer?
    var done = true

    init(count: Int) {
        self.count = count
        // Safe: allocated and initialized here, freed in deinit; only MPI and the methods below touch it.
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    deinit { pointer.deallocate() }

    subscript(i: Int) -> Float {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }

    /// Copies `tensor`'s values to `offset ..< offset + tensor.count`.
    func store(_ tensor: Tensor, at offset: Int) {
        precondition(offset + tensor.count <= count)
        tensor.withUnsafeBufferPointer { (pointer + offset).update(from: $0.baseAddress!, count: $0.count) }
    }

    /// Zeros `offset ..< offset + n`.
    func clear(_ offset: Int, _ n: Int) {
        (pointer + offset).update(repeating: 0, count: n)
    }

    /// Sets element r to 1 for each row r of the `[rows, width]` tensor that holds a non-zero value, else to 0.
    func markNonZeroRows(of tensor: Tensor, width: Int) {
        precondition(tensor.count / width <= count)
        tensor.withUnsafeBufferPointer { Transfer.markNonZeroRows($0.baseAddress!, rows: $0.count / width, width: width, into: pointer) }
    }

    /// Copies the listed rows of the `[rows, width]` tensor one after another from offset 0.
    func storeRows(_ rows: [Int], of tensor: Tensor, width: Int) {
        tensor.withUnsafeBufferPointer { g in
            for (k, r) in rows.enumerated() { (pointer + k * width).update(from: g.baseAddress! + r * width, count: width) }
        }
    }
}

/// `marks[r]` = 1 where row r of the `[rows, width]` floats at `values` holds a non-zero value, else 0.
/// Reads the bits, 16 floats at a time: a −0 counts as non-zero, which only sums one more row.
func markNonZeroRows(_ values: UnsafePointer<Float>, rows: Int, width: Int, into marks: UnsafeMutablePointer<Float>) {
    let vectors = width / 16
    let base = UnsafeRawPointer(values)
    for r in 0..<rows {
        let row = r * width
        var any = SIMD16<UInt32>()
        for v in 0..<vectors { any |= base.loadUnaligned(fromByteOffset: (row + 16 * v) * 4, as: SIMD16<UInt32>.self) }
        var nonZero = any != SIMD16<UInt32>()
        for i in (row + 16 * vectors)..<(row + width) where base.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self) != 0 { nonZero = true }
        marks[r] = nonZero ? 1 : 0
    }
}

/// Why a data-parallel job stopped.
public enum DistributedError: Error, CustomStringConvertible {
    /// MPI is not installed, or not Open MPI.
    case unavailable(String)
    /// An MPI call failed on this rank (often: another rank died).
    case failed(rank: Int, String)
    /// The ranks run different commands or read different files (``Communicator/agree(on:)``).
    case disagree(String)
    /// Rank 0 found the ranks disagree and says so; this rank stops without a line of its own.
    case stoppedByRankZero

    public var description: String {
        switch self {
        case .unavailable(let text): return "MPI: \(text)"
        case .failed(let rank, let text): return "MPI: rank \(rank): \(text) (did another rank die? mpirun names it)"
        case .disagree(let text): return "MPI: \(text)"
        case .stoppedByRankZero: return "MPI: stopped: rank 0 says why"
        }
    }
}
