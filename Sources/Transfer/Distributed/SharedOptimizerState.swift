import Foundation
import Layers
import Tensor

#if canImport(Glibc)
import Glibc
#endif

/// The ranks of a host keep one copy of the trainable parameters and of AdamW's moments, sum
/// their gradients, and split the optimizer step, all in memory every one of them maps.
///
/// On the other path (``GradientBuckets``), MPI's allreduce sums the gradients and every rank then
/// takes the whole step: for a small BERT each rank reads and writes 630 MB a step, and on one
/// host the ranks share the memory bandwidth that one process × N threads spends once. Here:
///
/// 1. Each rank's backward pass writes its gradients into its own area of the shared memory, and
///    marks which parameters (and which rows of the word embeddings) it reached.
/// 2. After a barrier, each rank sums its host's gradients over its own 1/k of every parameter (the
///    word embeddings over the rows some rank reached only). With several hosts of k ranks each,
///    rank j of every host then allreduces those sums with rank j of the others (its ``peers``),
///    the reached rows found first. Each rank adds the squares of its sums; one scalar sum over
///    the host gives the norm for clipping.
/// 3. Each rank steps its elements of the shared parameters and moments
///    (``AdamW/step(gradientScale:part:)``), and a barrier lets the next forward pass read them.
///
/// On one host no gradient crosses MPI; the step is split as one process splits it among its
/// threads. (ZeRO-1, each rank stepping its part of private copies and then gathering the others'
/// parts, was measured slower: the allgather moved as many bytes as it saved.)
///
/// The memory is a file in ``Settings/sharedMemoryFolder`` (`/dev/shm`), created and filled with
/// `posix_fallocate` by the host's first rank (so a full tmpfs fails here, not with SIGBUS later),
/// mapped by every rank of the host, and unlinked as soon as all have mapped it: nothing is left
/// behind when a rank is killed. Without it (no such folder, not enough room, hosts of unequal rank
/// counts, one rank per host, ``Settings/sharedStep`` off) the ranks take the other path, and say why
/// on stderr when the memory failed.
///
/// The raw pointers all point into the mapping this object owns, which it unmaps only after
/// ``release()`` has moved every tensor off it. Which rank writes where, and when, is the protocol
/// above: between two barriers a rank writes only its own gradient area and marks, its own parts
/// (of its area, the values and the moments), and reads the others' areas only after the barrier
/// that ends their backward pass.
final class SharedOptimizerState: GradientSum {
    /// Every rank; the ranks of this host (which share the memory); this rank's peers on the other hosts.
    let communicator: Communicator
    let host: Communicator
    let peers: Communicator
    let parameters: [Parameter]
    private let optimizer: AdamW
    private let base: UnsafeMutablePointer<Float>
    private let bytes: Int
    /// Floats per area (values, m, v, each rank's gradients); parameter i starts at `offsets[i]` in each.
    private let areaFloats: Int
    private let offsets: [Int]
    /// The elements of each parameter this rank sums and updates.
    private let parts: [Range<Int>]
    /// Per rank, after the gradient areas: a flag per parameter (reached), then a flag per row of
    /// each row-sparse parameter (non-zero); `markFloats` apart.
    private let markFloats: Int
    private let sparse: [Int: (width: Int, marks: Int)]
    private var index: [ObjectIdentifier: Int] = [:]
    /// Rows of each row-sparse parameter's gradient this rank has written since it was last zeroed.
    private var dirty: [Int: [Int]] = [:]
    private var stepOpen = false
    private var released = false
    /// Across hosts: this host's sums of this rank's pieces, for the allreduce among its peers (grown as needed).
    private var packed = ReduceBuffer(count: 0)

    /// Floats between the starts of two parameters, and between two ranks' parts of one: a cache
    /// line, so no two ranks write the same line.
    static let alignment = 16

    /// The shared state for `optimizer`'s parameters, with their current values (rank 0's) and
    /// moments moved there; nil when the ranks do not share a host, or the memory could not be
    /// had (the reason on stderr). Every rank must call it.
    static func make(optimizer: AdamW, communicator: Communicator) throws -> SharedOptimizerState? {
        guard communicator.size > 1 else { return nil }
        // Rank k of every host sums and steps the same part, so every host must have as many ranks
        // (the sizes are all equal exactly when Σs² · n = (Σs)², n the number of ranks). Every rank
        // decides alike, even if their environments differ.
        let hostSize = Double(communicator.host.size)
        let wanted: Double = Settings.sharedStep ? 1 : 0
        let sums = try communicator.sum([hostSize, hostSize * hostSize, wanted])
        guard sums[2] == Double(communicator.size), sums[1] * Double(communicator.size) == sums[0] * sums[0],
              communicator.host.size > 1 else { return nil }
        func aligned(_ n: Int) -> Int { (n + alignment - 1) / alignment * alignment }
        var offsets: [Int] = [], floats = 0
        var sparse: [Int: (width: Int, marks: Int)] = [:], marks = optimizer.parameters.count
        for (i, p) in optimizer.parameters.enumerated() {
            offsets.append(floats)
            floats += aligned(p.count)
            if GradientBuckets.isRowSparse(p) {
                sparse[i] = (p.shape[1], marks)
                marks += p.shape[0]
            }
        }
        let areaFloats = max(floats, alignment), markFloats = aligned(marks)
        let bytes = ((3 + communicator.host.size) * areaFloats + communicator.host.size * markFloats) * MemoryLayout<Float>.size
        guard let base = try mapShared(bytes: bytes, communicator: communicator) else { return nil }
        communicator.sharedStepBytes = bytes
        return try SharedOptimizerState(optimizer: optimizer, communicator: communicator, base: base, bytes: bytes,
                                        areaFloats: areaFloats, offsets: offsets, markFloats: markFloats, sparse: sparse)
    }

    private init(optimizer: AdamW, communicator: Communicator, base: UnsafeMutablePointer<Float>, bytes: Int,
                 areaFloats: Int, offsets: [Int], markFloats: Int, sparse: [Int: (width: Int, marks: Int)]) throws {
        (self.optimizer, self.communicator, self.base, self.bytes) = (optimizer, communicator, base, bytes)
        (host, peers) = (communicator.host, communicator.peers)
        (self.areaFloats, self.offsets, self.markFloats, self.sparse) = (areaFloats, offsets, markFloats, sparse)
        parameters = optimizer.parameters
        parts = parameters.map { Self.part(of: $0.count, rank: communicator.host.rank, size: communicator.host.size) }
        for (i, p) in parameters.enumerated() { index[ObjectIdentifier(p.value)] = i }
        // Rank 0's values become everyone's (all ranks hold the same ones anyway). The moments
        // held so far (a resumed run's) are copied by every rank: the same bytes.
        for (p, offset) in zip(parameters, offsets) {
            p.value.moveValues(to: base + offset, copying: communicator.host.isLeader)
        }
        optimizer.placeMoments { [base, offsets, areaFloats] i in
            (base + areaFloats + offsets[i], base + 2 * areaFloats + offsets[i])
        }
        try host.barrier()
    }

    /// The gradient area of `rank`, and its marks.
    private func gradients(_ rank: Int) -> UnsafeMutablePointer<Float> { base + (3 + rank) * areaFloats }
    private func marks(_ rank: Int) -> UnsafeMutablePointer<Float> {
        base + (3 + host.size) * areaFloats + rank * markFloats
    }

    /// The elements of parameter `i` (of the optimizer's) that this rank updates.
    func part(_ i: Int) -> Range<Int> { parts[i] }

    /// Rank `rank`'s 1/size of a parameter of `count` elements, cut at multiples of ``alignment``.
    /// Every parameter is cut, not the parameters dealt out: the word embeddings are half of a small
    /// BERT's elements but few of their rows have a gradient, so the sums would be uneven.
    static func part(of count: Int, rank: Int, size: Int) -> Range<Int> {
        func cut(_ r: Int) -> Int { r == size ? count : min(count, count * r / size / alignment * alignment) }
        return cut(rank)..<cut(rank + 1)
    }

    /// Before the step's backward pass: each gradient becomes a zeroed view of its place in this
    /// rank's area, where the backward pass adds to it in place. The word embeddings' gradient is
    /// zeroed only in the rows written last step. Needs one backward pass a step (no accumulation):
    /// the hook marks what it reached.
    func prepareStep(viewing: Bool) {
        precondition(viewing, "gradients summed in shared memory need one backward pass a step")
        guard !stepOpen else { return }
        stepOpen = true
        let own = gradients(host.rank)
        marks(host.rank).update(repeating: 0, count: parameters.count)
        for (i, p) in parameters.enumerated() {
            if let (width, _) = sparse[i] {
                for r in dirty[i] ?? [] { (own + offsets[i] + r * width).update(repeating: 0, count: width) }
                dirty[i] = []
            } else {
                (own + offsets[i]).update(repeating: 0, count: p.count)
            }
            p.value.setGrad(viewing: own + offsets[i])
        }
    }

    /// The backward pass's hook: `leaf` has its gradient.
    func gradientReady(_ leaf: Tensor) {
        if let i = index[ObjectIdentifier(leaf)] { marks(host.rank)[i] = 1 }
    }

    /// After the backward pass: waits for the other ranks of this host, sums this rank's part of
    /// every gradient over them (and then over the hosts), and returns the global L2 norm of the
    /// sums. A parameter no rank reached keeps no gradient; of the word embeddings, only the rows
    /// some rank reached are summed.
    func finish() throws -> Float {
        let start = Date()
        let rank = host.rank, size = host.size, acrossHosts = peers.size > 1
        let own = gradients(rank)
        for (i, (width, at)) in sparse {
            markNonZeroRows(own + offsets[i], rows: parameters[i].count / width, width: width, into: marks(rank) + at)
        }
        try host.barrier()   // the gradients and marks of every rank of this host are final
        var present = parameters.indices.map { i in (0..<size).contains { marks($0)[i] != 0 } }
        // The rows of each row-sparse parameter that overlap this rank's part, and those some rank reached.
        var rows: [Int: Range<Int>] = [:], reached: [Int: [Int]] = [:]
        for (i, (width, at)) in sparse {
            rows[i] = (parts[i].lowerBound / width)..<((parts[i].upperBound + width - 1) / width)
            reached[i] = rows[i]!.filter { row in (0..<size).contains { marks($0)[at + row] != 0 } }
        }
        if acrossHosts {
            // What any host reached: the parameters' flags and the rows', summed over the peers.
            let order = sparse.keys.sorted()
            let flags = ReduceBuffer(count: parameters.count + order.reduce(0) { $0 + rows[$1]!.count })
            for i in parameters.indices where present[i] { flags[i] = 1 }
            var at = parameters.count
            for i in order {
                for row in reached[i]! { flags[at + row - rows[i]!.lowerBound] = 1 }
                at += rows[i]!.count
            }
            try peers.sumNow(flags)
            for i in parameters.indices { present[i] = flags[i] > 0 }
            at = parameters.count
            for i in order {
                reached[i] = rows[i]!.filter { flags[at + $0 - rows[i]!.lowerBound] > 0 }
                at += rows[i]!.count
            }
        }
        // The pieces of this rank's part to sum (offset in the areas, count): every reached parameter's
        // part, and of the word embeddings the reached rows' pieces.
        var pieces: [(offset: Int, count: Int)] = []
        for (i, part) in parts.enumerated() where present[i] && !part.isEmpty {
            if let (width, _) = sparse[i] {
                for row in reached[i]! {
                    let lower = max(row * width, part.lowerBound), upper = min((row + 1) * width, part.upperBound)
                    pieces.append((offsets[i] + lower, upper - lower))
                }
            } else {
                pieces.append((offsets[i] + part.lowerBound, part.count))
            }
        }
        let sources = (0..<size).map { UnsafePointer(gradients($0)) }
        let floats = pieces.reduce(0) { $0 + $1.count }
        var squares = 0.0
        if acrossHosts {
            // This host's sums, packed, summed over the hosts by one allreduce among the ranks with this place on theirs.
            if packed.count < floats { packed = ReduceBuffer(count: floats) }
            var at = 0
            for (offset, count) in pieces {
                _ = Self.sum(sources.map { $0 + offset }, count: count, into: packed.pointer + at)
                at += count
            }
            try peers.sumNow(packed, count: floats)
            at = 0
            for (offset, count) in pieces {
                (own + offset).update(from: packed.pointer + at, count: count)
                squares += sumOfSquares(UnsafeBufferPointer(start: own + offset, count: count))
                at += count
            }
        } else {
            for (offset, count) in pieces { squares += Self.sum(sources.map { $0 + offset }, count: count, into: own + offset) }
        }
        // What the next step zeroes: the rows written here, and those this rank's backward pass wrote elsewhere.
        for (i, (width, at)) in sparse {
            let part = parts[i]
            dirty[i] = reached[i]! + (0..<(parameters[i].count / width)).filter { row in
                marks(rank)[at + row] != 0 && (row * width >= part.upperBound || (row + 1) * width <= part.lowerBound)
            }
        }
        for (i, p) in parameters.enumerated() where !present[i] { p.value.replaceGrad(nil) }
        communicator.account(seconds: Date().timeIntervalSince(start), floats: floats)
        stepOpen = false
        // Every host holds the same sums, each part summed by one of its ranks: its ranks' squares are all of them.
        return Float(try host.sum([squares])[0].squareRoot())
    }

    /// This rank's part of the optimizer step, then the wait until every rank of this host has made its part.
    func step(gradientScale: Float?) throws {
        optimizer.step(gradientScale: gradientScale, part: part)
        try host.barrier()
    }

    /// `target[0 ..< count]` = the sum of the `sources` (in rank order); returns the sum of its
    /// squares. A block at a time, so the squares are read from the cache.
    static func sum(_ sources: [UnsafePointer<Float>], count: Int, into target: UnsafeMutablePointer<Float>) -> Double {
        var squares = 0.0
        var k = 0
        while k < count {
            let n = min(4096, count - k), start = k
            var j = 0
            while j + 16 <= n {
                var v = UnsafeRawPointer(sources[0] + start + j).loadUnaligned(as: SIMD16<Float>.self)
                for r in 1..<sources.count { v += UnsafeRawPointer(sources[r] + start + j).loadUnaligned(as: SIMD16<Float>.self) }
                UnsafeMutableRawPointer(target + start + j).storeBytes(of: v, as: SIMD16<Float>.self)
                j += 16
            }
            while j < n {
                var v = sources[0][start + j]
                for r in 1..<sources.count { v += sources[r][start + j] }
                target[start + j] = v
                j += 1
            }
            squares += sumOfSquares(UnsafeBufferPointer(start: target + start, count: n))
            k += n
        }
        return squares
    }

    /// Moves the parameters and moments back into memory of their own. Every rank calls it at the
    /// end of training, after which this memory is no longer used.
    func release() {
        guard !released else { return }
        released = true
        for p in parameters { p.value.ownValues() }
        optimizer.ownMoments()
    }

    deinit {
        release()
        munmap(base, bytes)
    }
    /// Maps `bytes` of memory that the ranks of this host share (each host its own); nil on every
    /// rank (after saying why) when some rank could not.
    private static func mapShared(bytes: Int, communicator: Communicator) throws -> UnsafeMutablePointer<Float>? {
        var name = [UInt8](repeating: 0, count: 128)
        var failure: String?
        var fd: Int32 = -1
        let host = communicator.host
        if host.isLeader {
            let path = "\(Settings.sharedMemoryFolder)/bertkit-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
            fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0o600)
            if fd < 0 {
                failure = "\(path): \(String(cString: strerror(errno)))"
            } else {
                let code = posix_fallocate(fd, 0, off_t(bytes))
                if code != 0 {
                    failure = "\(path): \(bytes / 1_048_576) MiB: \(String(cString: strerror(code)))"
                    close(fd)
                    unlink(path)
                    fd = -1
                } else {
                    name.replaceSubrange(0..<path.utf8.count, with: path.utf8)
                }
            }
        }
        try host.broadcast(&name)
        let path = String(decoding: name.prefix { $0 != 0 }, as: UTF8.self)
        if !host.isLeader, !path.isEmpty {
            fd = open(path, O_RDWR)
            if fd < 0 { failure = "\(path): \(String(cString: strerror(errno)))" }
        }
        var base: UnsafeMutableRawPointer?
        if fd >= 0 {
            let mapped = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
            if mapped == MAP_FAILED { failure = "mmap of \(bytes / 1_048_576) MiB: \(String(cString: strerror(errno)))" } else { base = mapped }
            close(fd)
        }
        let failures = try communicator.sum([path.isEmpty || failure != nil ? 1 : 0])[0]
        if host.isLeader, !path.isEmpty { unlink(path) }   // every rank of the host has it mapped, or has given up
        guard failures == 0, let base else {
            if let base { munmap(base, bytes) }
            if let failure { FileHandle.standardError.write(Data("rank \(communicator.rank): no memory shared by the ranks (\(failure)); every rank takes the whole optimizer step\n".utf8)) }
            return nil
        }
        return base.bindMemory(to: Float.self, capacity: bytes / MemoryLayout<Float>.size)
    }
}
