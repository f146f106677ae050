import Foundation
import Layers
import Tensor

#if canImport(Glibc)
import Glibc
#endif

/// One copy of the trainable parameters and of AdamW's moments for all the ranks of one host, in
/// memory each of them maps, where each rank updates its own 1/size of the elements.
///
/// Every rank takes the same optimizer step on the same summed gradients. Replicated, as across
/// hosts, each rank reads and writes all of the parameters, moments and gradients: for a small
/// BERT, 630 MB a step per rank, and on one host the ranks then share the memory bandwidth that one
/// process × N threads spends once. Shared, the step is split as one process splits it among its
/// threads, and the ranks wait for each other (a barrier) before the next forward pass reads the
/// new values. (ZeRO-1, each rank stepping its part of private copies and then gathering the
/// others' parts, was measured slower here: the allgather moved as many bytes as it saved.)
///
/// The memory is a file in `/dev/shm`, created and filled with `posix_fallocate` by rank 0 (so a
/// full tmpfs fails here, not with SIGBUS later), mapped by every rank, and unlinked as soon as all
/// have mapped it: nothing is left behind when a rank is killed. Without it (no `/dev/shm`, not
/// enough room, `BERTKIT_SHARED_STEP=0`), the step is replicated, as across hosts.
final class SharedOptimizerState {
    let communicator: Communicator
    let parameters: [Parameter]
    private let optimizer: AdamW
    private let base: UnsafeMutablePointer<Float>
    private let bytes: Int
    /// Floats per area (values, m, v); parameter i starts at `offsets[i]` in each.
    private let areaFloats: Int
    private let offsets: [Int]
    /// The elements of each parameter this rank updates.
    private let parts: [Range<Int>]
    private var released = false

    /// Floats between the starts of two parameters, and between two ranks' parts: a cache line, so
    /// no two ranks write the same line.
    static let alignment = 16

    /// The shared state for `optimizer`'s parameters, with their current values (rank 0's) and
    /// moments moved there; nil when the ranks do not share a host, or the memory could not be
    /// had (the reason on stderr of rank 0). Every rank must call it.
    static func make(optimizer: AdamW, communicator: Communicator) throws -> SharedOptimizerState? {
        guard communicator.size > 1, communicator.ranksShareHost,
              ProcessInfo.processInfo.environment["BERTKIT_SHARED_STEP"] != "0" else { return nil }
        var offsets: [Int] = [], floats = 0
        for p in optimizer.parameters {
            offsets.append(floats)
            floats += (p.count + alignment - 1) / alignment * alignment
        }
        let bytes = 3 * max(floats, alignment) * MemoryLayout<Float>.size
        guard let base = try mapShared(bytes: bytes, communicator: communicator) else { return nil }
        communicator.sharedStepBytes = bytes
        return try SharedOptimizerState(optimizer: optimizer, communicator: communicator, base: base, bytes: bytes,
                                        areaFloats: max(floats, alignment), offsets: offsets)
    }

    private init(optimizer: AdamW, communicator: Communicator, base: UnsafeMutablePointer<Float>, bytes: Int,
                 areaFloats: Int, offsets: [Int]) throws {
        (self.optimizer, self.communicator, self.base, self.bytes) = (optimizer, communicator, base, bytes)
        (self.areaFloats, self.offsets) = (areaFloats, offsets)
        parameters = optimizer.parameters
        let cuts = (0...communicator.size).map { r in areaFloats * r / communicator.size / Self.alignment * Self.alignment }
        let mine = cuts[communicator.rank]..<(communicator.rank + 1 == communicator.size ? areaFloats : cuts[communicator.rank + 1])
        parts = zip(parameters, offsets).map { p, offset in
            let lower = min(max(mine.lowerBound - offset, 0), p.count)
            let upper = min(max(mine.upperBound - offset, 0), p.count)
            return lower..<upper
        }
        // Rank 0's values become everyone's (all ranks hold the same ones anyway). The moments
        // held so far (a resumed run's) are copied by every rank: the same bytes.
        for (p, offset) in zip(parameters, offsets) {
            p.value.moveValues(to: base + offset, copying: communicator.isLeader)
        }
        optimizer.placeMoments { [base, offsets, areaFloats] i in
            (base + areaFloats + offsets[i], base + 2 * areaFloats + offsets[i])
        }
        try communicator.barrier()
    }

    /// The elements of parameter `i` (of the optimizer's) that this rank updates.
    func part(_ i: Int) -> Range<Int> { parts[i] }

    /// This rank's part of the optimizer step, then the wait until every rank has made its part.
    func step(gradientScale: Float?) throws {
        optimizer.step(gradientScale: gradientScale, part: part)
        try communicator.barrier()
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

    /// Maps `bytes` of memory that every rank of this host shares; nil (after saying why) when
    /// some rank could not.
    private static func mapShared(bytes: Int, communicator: Communicator) throws -> UnsafeMutablePointer<Float>? {
        var name = [UInt8](repeating: 0, count: 128)
        var failure: String?
        var fd: Int32 = -1
        if communicator.isLeader {
            let path = "/dev/shm/bertkit-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
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
        try communicator.broadcast(&name)
        let path = String(decoding: name.prefix { $0 != 0 }, as: UTF8.self)
        if !communicator.isLeader, !path.isEmpty {
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
        if communicator.isLeader, !path.isEmpty { unlink(path) }   // every rank has it mapped, or has given up
        guard failures == 0, let base else {
            if let base { munmap(base, bytes) }
            if let failure { FileHandle.standardError.write(Data("rank \(communicator.rank): no memory shared by the ranks (\(failure)); every rank takes the whole optimizer step\n".utf8)) }
            return nil
        }
        return base.bindMemory(to: Float.self, capacity: bytes / MemoryLayout<Float>.size)
    }
}
