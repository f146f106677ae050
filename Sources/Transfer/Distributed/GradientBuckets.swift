import Foundation
import Layers
import Tensor

/// Sums the gradients of every rank in buckets, as PyTorch's DDP does: a bucket's allreduce starts
/// as soon as the backward pass has made all of its gradients final, and runs while the backward
/// pass goes on to the layers below.
///
/// - **Overlap only across hosts.** When every rank runs on one host, a sum is memory copies that
///   the ranks' own cores make, inside MPI calls: overlapping it with the backward pass hides
///   nothing and adds the cost of driving the non-blocking sums. Then the buckets are summed right
///   after the backward pass with the blocking allreduce (measured on 2 cores: 3.87-3.91 s an
///   epoch against 3.99-4.00 s). ``Settings/allreduceOverlaps`` chooses by hand.
///
/// - Buckets hold about `capacity` floats of parameters, in the order their gradients become ready:
///   at first the reverse of creation order, then, after the first step, the order rank 0 saw
///   (broadcast so that every rank starts the same buckets in the same order, as MPI requires).
/// - Buckets start strictly in order; a bucket whose gradients are ready waits for the ones before it.
/// - Each bucket carries one flag per parameter (1 where this rank has a gradient): a parameter
///   that no rank's loss reached keeps no gradient, as in one process, and AdamW skips it.
/// - Each rank's loss is scaled by its share of the global batch, so the sum is the gradient of
///   the global batch's loss.
/// - The word embeddings' gradient (half of a small BERT's) is zero but in the rows of the batch's
///   tokens, and final only when the backward pass ends, so no overlap can hide it: it is summed
///   row-sparse after the buckets, only the rows some rank touched (the same sums, far fewer bytes).
final class GradientBuckets: GradientSum {
    let communicator: Communicator
    let parameters: [Parameter]
    let capacity: Int
    private var buckets: [Bucket] = []
    private var place: [ObjectIdentifier: (bucket: Int, offset: Int, flag: Int)] = [:]
    private var nextToStart = 0
    /// Parameter indices in the order their gradients became final this step.
    private var readyOrder: [Int] = []
    private var reordered = false
    /// The bucket order for the next step, decided after the first (applied once no gradient views the old buckets).
    private var pendingOrder: [Int]?
    /// Whether this step's gradients have been set up (``prepareStep(viewing:)``).
    private var stepOpen = false
    /// Whether this step's gradients view the buckets (and the row-sparse ones their own tables).
    private var viewing = false
    /// In viewing mode, each row-sparse parameter's gradient table: zero but in the rows the last
    /// step wrote (`dirty`), which the next step zeroes instead of the whole table.
    private var sparseTables: [Int: (values: ReduceBuffer, dirty: [Int])] = [:]
    /// The row-sparse parameters this step's backward passes reached (viewing mode: their
    /// gradients exist from the start, so presence says nothing).
    private var reachedSparse = Set<Int>()
    private var index: [ObjectIdentifier: Int] = [:]
    /// Parameters reduced row-sparse: `…word_embeddings.weight` tables.
    let sparse: [Int]
    /// Whether a bucket's sum starts during the backward pass (see the type's notes).
    let overlaps: Bool

    final class Bucket {
        let members: [Int]
        let offsets: [Int]
        let buffer: ReduceBuffer
        var ready = 0
        init(members: [Int], offsets: [Int], floats: Int) {
            (self.members, self.offsets) = (members, offsets)
            buffer = ReduceBuffer(count: floats + members.count)
        }
        var flagsStart: Int { buffer.count - members.count }
    }

    /// `capacityBytes`: ``Settings/bucketMiB`` (4 MiB by default).
    init(parameters: [Parameter], communicator: Communicator, capacityBytes: Int? = nil) {
        self.parameters = parameters
        self.communicator = communicator
        var settings = [Settings.bucketMiB, (Settings.allreduceOverlaps ?? !communicator.ranksShareHost) ? 1 : 0]
        // Rank 0's settings on every rank (a sum only it adds to): the ranks must start the same sums,
        // of the same sizes, blocking or not alike, even if their environments differ. A failure
        // here shows again at the first sum.
        if let agreed = try? communicator.sum(communicator.isLeader ? settings : [0, 0]) { settings = agreed }
        overlaps = settings[1] > 0
        capacity = max(1, (capacityBytes ?? Int(settings[0] * 1_048_576)) / MemoryLayout<Float>.size)
        for (i, p) in parameters.enumerated() { index[ObjectIdentifier(p.value)] = i }
        sparse = parameters.indices.filter { Self.isRowSparse(parameters[$0]) }
        build(order: parameters.indices.reversed().filter { !sparse.contains($0) })
    }

    /// The word embeddings: a gradient that is zero but in the rows of the batch's tokens.
    static func isRowSparse(_ p: Parameter) -> Bool {
        p.name.hasSuffix("word_embeddings.weight") && p.shape.count == 2
    }

    private func build(order: [Int]) {
        buckets = []
        place = [:]
        var members: [Int] = [], offsets: [Int] = [], floats = 0
        func close() {
            guard !members.isEmpty else { return }
            let bucket = Bucket(members: members, offsets: offsets, floats: floats)
            for (k, m) in members.enumerated() {
                place[ObjectIdentifier(parameters[m].value)] = (buckets.count, offsets[k], bucket.flagsStart + k)
            }
            buckets.append(bucket)
            (members, offsets, floats) = ([], [], 0)
        }
        for i in order {
            if floats > 0 && floats + parameters[i].count > capacity { close() }
            members.append(i)
            offsets.append(floats)
            floats += parameters[i].count
        }
        close()
    }

    var bucketCount: Int { buckets.count }

    /// Before each backward pass: at the first of a step, switches to the new bucket order (after
    /// the first step) and, with `viewing`, makes each parameter's gradient a zeroed view of its
    /// place in its bucket (as DDP's `gradient_as_bucket_view`). The backward pass then writes the
    /// gradients where the sum runs, in place, and nothing is copied in or out of the buckets.
    /// Viewing needs every backward of the step to report its leaves (no gradient accumulation):
    /// a parameter it never reached must keep no gradient.
    ///
    /// The word embeddings' gradient then views a table of its own that stays allocated: the next
    /// step zeroes only the rows this one wrote, where a new gradient zeroed all 47 MB each step.
    func prepareStep(viewing: Bool) {
        guard !stepOpen else { return }
        stepOpen = true
        self.viewing = viewing
        if let order = pendingOrder {
            build(order: order)
            pendingOrder = nil
        }
        guard viewing else { return }
        for i in sparse {
            let width = parameters[i].shape[1]
            let table = sparseTables[i] ?? (ReduceBuffer(count: parameters[i].count), [])
            for r in table.dirty { table.values.clear(r * width, width) }
            sparseTables[i] = (table.values, [])
            parameters[i].value.setGrad(viewing: table.values.pointer)
        }
        for bucket in buckets {
            bucket.buffer.clear(0, bucket.flagsStart)
            for (k, m) in bucket.members.enumerated() {
                parameters[m].value.setGrad(viewing: bucket.buffer.pointer + bucket.offsets[k])
            }
        }
    }

    /// Whether `leaf`'s gradient is the view of its place in a bucket.
    private func isView(_ grad: Tensor, at pointer: UnsafeMutablePointer<Float>) -> Bool {
        grad.withUnsafeBufferPointer { $0.baseAddress } == UnsafePointer(pointer)
    }

    /// The backward pass's hook: `leaf`'s gradient is final.
    func gradientReady(_ leaf: Tensor) {
        if viewing, let i = index[ObjectIdentifier(leaf)], sparseTables[i] != nil { reachedSparse.insert(i) }
        guard let (b, offset, flag) = place[ObjectIdentifier(leaf)], let grad = leaf.grad else { return }
        let bucket = buckets[b]
        if !isView(grad, at: bucket.buffer.pointer + offset) { bucket.buffer.store(grad, at: offset) }
        bucket.buffer[flag] = 1
        bucket.ready += 1
        if let i = index[ObjectIdentifier(leaf)] { readyOrder.append(i) }
        // Start every complete bucket whose turn has come, and let MPI move the started ones on.
        // A failure here is reported by finish(), which waits on the same requests.
        while overlaps, nextToStart < buckets.count, buckets[nextToStart].ready == buckets[nextToStart].members.count {
            guard (try? start(nextToStart)) != nil else { return }
            nextToStart += 1
        }
        for started in buckets[..<nextToStart] where !started.buffer.done {
            if (try? communicator.progress(started.buffer)) != true { break }
        }
    }

    private func start(_ b: Int) throws {
        if overlaps { try communicator.startSum(buckets[b].buffer) } else { try communicator.sumNow(buckets[b].buffer) }
    }

    /// After the step's last backward: starts what remains (gradients no backward reached count as
    /// zero, flagged absent), waits, and hands the summed gradients to the parameters. Returns
    /// their global L2 norm, for clipping (which AdamW then applies as it reads them).
    ///
    /// No gradient is copied back: each parameter's gradient is (``prepareStep(viewing:)``) or
    /// becomes (``Tensor/borrowGrad(_:)``) a view of its bucket, valid until the optimizer's step
    /// drops it. Each rank sums the
    /// squares of every `size`-th bucket and row only, and one scalar sum adds the shares up.
    /// Without this, every rank would read and write every gradient once more, and read it once
    /// more for the norm.
    func finish() throws -> Float {
        for (b, bucket) in buckets.enumerated() where b >= nextToStart {
            for (k, m) in bucket.members.enumerated() {
                let p = parameters[m]
                let flag = bucket.flagsStart + k
                if bucket.buffer[flag] == 0 {
                    if let grad = p.value.grad, !isView(grad, at: bucket.buffer.pointer + bucket.offsets[k]) {
                        // a gradient the hook did not see (accumulation steps)
                        bucket.buffer.store(grad, at: bucket.offsets[k])
                        bucket.buffer[flag] = 1
                    } else {
                        bucket.buffer.clear(bucket.offsets[k], p.count)
                    }
                }
            }
            try start(b)
        }
        for bucket in buckets { try communicator.wait(bucket.buffer) }
        let rows = try sparse.map { try sumRows($0) }

        // This rank's share of Σg²: buckets b ≡ rank, and rows k ≡ rank, modulo the size.
        var squares = 0.0
        for (b, bucket) in buckets.enumerated() where b % communicator.size == communicator.rank {
            for (k, m) in bucket.members.enumerated() where bucket.buffer[bucket.flagsStart + k] > 0 {
                squares += sumOfSquares(UnsafeBufferPointer(start: bucket.buffer.pointer + bucket.offsets[k], count: parameters[m].count))
            }
        }
        for summed in rows {
            guard let summed else { continue }
            for k in stride(from: communicator.rank, to: summed.rows.count, by: communicator.size) {
                squares += sumOfSquares(UnsafeBufferPointer(start: summed.values.pointer + k * summed.width, count: summed.width))
            }
        }
        let norm = Float(try communicator.sum([squares])[0].squareRoot())

        for bucket in buckets {
            for (k, m) in bucket.members.enumerated() {
                let p = parameters[m]
                let slot = bucket.buffer.pointer + bucket.offsets[k]
                if bucket.buffer[bucket.flagsStart + k] > 0 {
                    if let grad = p.value.grad, isView(grad, at: slot) { continue }   // summed in place
                    p.value.borrowGrad(slot)
                } else {
                    p.value.replaceGrad(nil)
                }
            }
        }
        for (i, summed) in zip(sparse, rows) {
            guard let summed else { parameters[i].value.replaceGrad(nil); continue }
            // This rank's non-zero rows are among `rows`; the rest of its gradient is zero already.
            parameters[i].value.setGradRows(summed.rows, width: summed.width, from: summed.values.pointer)
            if let table = sparseTables[i], viewing { sparseTables[i] = (table.values, summed.rows) }
        }
        try reorderOnce()
        for bucket in buckets {
            bucket.ready = 0
            bucket.buffer.clear(bucket.flagsStart, bucket.members.count)
        }
        nextToStart = 0
        readyOrder = []
        reachedSparse = []
        stepOpen = false
        return norm
    }

    /// Sums a `[rows, width]` gradient over the rows any rank has non-zero; one more flag says
    /// whether any rank has a gradient at all (nil when none has).
    private func sumRows(_ i: Int) throws -> (rows: [Int], width: Int, values: ReduceBuffer)? {
        let p = parameters[i]
        let rows = p.shape[0], width = p.shape[1]
        let grad = p.value.grad
        let touched = ReduceBuffer(count: rows + 1)
        if let grad, !viewing || reachedSparse.contains(i) {
            touched.markNonZeroRows(of: grad, width: width)
            touched[rows] = 1
        }
        try communicator.sumNow(touched)
        guard touched[rows] > 0 else { return nil }
        let union = (0..<rows).filter { touched[$0] > 0 }
        let packed = ReduceBuffer(count: union.count * width)
        if let grad { packed.storeRows(union, of: grad, width: width) }
        try communicator.sumNow(packed)
        return (union, width, packed)
    }

    /// After the first step, decides to rebuild the buckets in the order rank 0's gradients became
    /// ready (done by the next ``prepareStep(viewing:)``: this step's gradients still view the old ones).
    private func reorderOnce() throws {
        guard !reordered else { return }
        reordered = true
        guard communicator.size > 1 else { return }
        var order = [Double](repeating: 0, count: parameters.count)
        if communicator.isLeader {
            var seen = Set<Int>()
            let observed = readyOrder.filter { seen.insert($0).inserted }
            let rest = parameters.indices.reversed().filter { !seen.contains($0) && !sparse.contains($0) }
            for (k, i) in (observed + rest).enumerated() { order[k] = Double(i) }
        }
        order = try communicator.sum(order)   // only rank 0 contributes: a broadcast
        pendingOrder = order.prefix(parameters.count - sparse.count).map { Int($0) }
    }
}
