// Shape ops: reshape (shares storage), permute/transpose, slice, concat and gather (copies).

extension Tensor {
    /// The same elements with a new shape of the same count; shares storage. One axis may be −1.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var target = newShape
        if let hole = target.firstIndex(of: -1) {
            let known = target.enumerated().filter { $0.offset != hole }.reduce(1) { $0 * $1.element }
            precondition(known > 0 && count % known == 0, "cannot reshape \(shape) to \(newShape)")
            target[hole] = count / known
        }
        precondition(Tensor.elementCount(target) == count, "cannot reshape \(shape) to \(newShape)")
        let out = Tensor(shape: target, storage: storage)
        return out.recorded("reshape", inputs: [self]) { [self] g in
            accumulateGrad(Tensor(shape: shape, storage: g.storage))
        }
    }

    /// Reorders the axes: result axis i is input axis `axes[i]`.
    public func permuted(_ axes: [Int]) -> Tensor {
        precondition(axes.sorted() == Array(0..<rank), "permutation \(axes) for rank \(rank)")
        let outShape = axes.map { shape[$0] }
        let out = Tensor.uninitialized(outShape)
        Tensor.permuteCopy(from: storage.pointer, shape: shape, axes: axes, to: out.storage.pointer)
        return out.recorded("permute", inputs: [self]) { [self] g in
            var inverse = [Int](repeating: 0, count: axes.count)
            for (i, a) in axes.enumerated() { inverse[a] = i }
            let dx = Tensor.uninitialized(shape)
            Tensor.permuteCopy(from: g.storage.pointer, shape: outShape, axes: inverse, to: dx.storage.pointer)
            accumulateGrad(dx)
        }
    }

    /// Swaps two axes.
    public func transposed(_ a: Int, _ b: Int) -> Tensor {
        var axes = Array(0..<rank)
        axes.swapAt(a, b)
        return permuted(axes)
    }

    static func permuteCopy(from src: UnsafePointer<Float>, shape: [Int], axes: [Int], to dst: UnsafeMutablePointer<Float>) {
        let rank = shape.count
        var inStrides = [Int](repeating: 1, count: rank)
        for i in stride(from: rank - 2, through: 0, by: -1) { inStrides[i] = inStrides[i + 1] * shape[i + 1] }
        let outShape = axes.map { shape[$0] }
        let strides = axes.map { inStrides[$0] }
        let total = elementCount(shape)
        guard total > 0 else { return }
        if rank == 0 { dst[0] = src[0]; return }
        var index = [Int](repeating: 0, count: rank)
        var offset = 0
        let inner = outShape[rank - 1], innerStride = strides[rank - 1]
        var o = 0
        while o < total {
            var p = offset
            for _ in 0..<inner { dst[o] = src[p]; o += 1; p += innerStride }
            var axis = rank - 2
            while axis >= 0 {
                index[axis] += 1
                offset += strides[axis]
                if index[axis] < outShape[axis] { break }
                offset -= strides[axis] * outShape[axis]
                index[axis] = 0
                axis -= 1
            }
            if axis < 0 { break }
        }
    }

    /// The view of a tensor as [outer, axis, inner] around one axis.
    private func split(at axis: Int) -> (outer: Int, size: Int, inner: Int) {
        precondition(axis >= 0 && axis < rank, "axis \(axis) out of range for shape \(shape)")
        return (shape[..<axis].reduce(1, *), shape[axis], shape[(axis + 1)...].reduce(1, *))
    }

    /// Elements `range` along `axis` (a copy).
    public func sliced(axis: Int, _ range: Range<Int>) -> Tensor {
        let (outer, size, inner) = split(at: axis)
        precondition(range.lowerBound >= 0 && range.upperBound <= size, "slice \(range) of axis \(axis) in \(shape)")
        var outShape = shape
        outShape[axis] = range.count
        let out = Tensor.uninitialized(outShape)
        let src = storage.pointer, dst = out.storage.pointer, width = range.count * inner
        for o in 0..<outer {
            (dst + o * width).update(from: src + (o * size + range.lowerBound) * inner, count: width)
        }
        return out.recorded("slice", inputs: [self]) { [self] g in
            let d = gradBuffer(), gy = g.storage.pointer
            for o in 0..<outer {
                let target = d + (o * size + range.lowerBound) * inner, source = gy + o * width
                for j in 0..<width { target[j] += source[j] }
            }
        }
    }

    /// Joins tensors along `axis`; all other axes must agree.
    public static func concat(_ tensors: [Tensor], axis: Int) -> Tensor {
        precondition(!tensors.isEmpty, "concat of no tensors")
        let first = tensors[0]
        for t in tensors {
            precondition(t.rank == first.rank && zip(t.shape, first.shape).enumerated().allSatisfy { $0.offset == axis || $0.element.0 == $0.element.1 },
                         "concat along \(axis): \(t.shape) vs \(first.shape)")
        }
        var outShape = first.shape
        outShape[axis] = tensors.reduce(0) { $0 + $1.shape[axis] }
        let outer = first.shape[..<axis].reduce(1, *), inner = first.shape[(axis + 1)...].reduce(1, *)
        let out = Tensor.uninitialized(outShape)
        let dst = out.storage.pointer, outWidth = outShape[axis] * inner
        var start = 0
        var starts: [Int] = []
        for t in tensors {
            starts.append(start)
            let width = t.shape[axis] * inner
            for o in 0..<outer { (dst + o * outWidth + start).update(from: t.storage.pointer + o * width, count: width) }
            start += width
        }
        return out.recorded("concat", inputs: tensors) { g in
            let gy = g.storage.pointer
            for (t, s) in zip(tensors, starts) where t.requiresGrad {
                let width = t.shape[axis] * inner
                let d = t.gradBuffer()
                for o in 0..<outer {
                    let target = d + o * width, source = gy + o * outWidth + s
                    for j in 0..<width { target[j] += source[j] }
                }
            }
        }
    }

    /// Entries `indices` along `axis` (like `index_select`); indices may repeat.
    public func gathered(axis: Int, indices: [Int]) -> Tensor {
        let (outer, size, inner) = split(at: axis)
        for i in indices { precondition(i >= 0 && i < size, "gather index \(i) outside axis \(axis) of \(shape)") }
        var outShape = shape
        outShape[axis] = indices.count
        let out = Tensor.uninitialized(outShape)
        let src = storage.pointer, dst = out.storage.pointer
        for o in 0..<outer {
            for (k, i) in indices.enumerated() {
                (dst + (o * indices.count + k) * inner).update(from: src + (o * size + i) * inner, count: inner)
            }
        }
        return out.recorded("gather", inputs: [self]) { [self] g in
            let d = gradBuffer(), gy = g.storage.pointer
            for o in 0..<outer {
                for (k, i) in indices.enumerated() {
                    let target = d + (o * size + i) * inner, source = gy + (o * indices.count + k) * inner
                    for j in 0..<inner { target[j] += source[j] }
                }
            }
        }
    }
}

extension Tensor {
    /// The inverse of ``gathered(axis:indices:)`` along the first axis: a `[count, …]` tensor of
    /// zeros with row `indices[k]` set to row k of `self`. Indices must be distinct.
    public func scattered(rows indices: [Int], count: Int) -> Tensor {
        precondition(rank >= 1 && shape[0] == indices.count, "scatter of \(shape) to \(indices.count) rows")
        let inner = self.count / Swift.max(shape[0], 1)
        for i in indices { precondition(i >= 0 && i < count, "scatter row \(i) outside \(count) rows") }
        let out = Tensor(zeros: [count] + shape.dropFirst())
        let src = storage.pointer, dst = out.storage.pointer
        for (k, i) in indices.enumerated() { (dst + i * inner).update(from: src + k * inner, count: inner) }
        return out.recorded("scatter", inputs: [self]) { [self] g in
            let d = gradBuffer(), gy = g.storage.pointer
            for (k, i) in indices.enumerated() {
                let target = d + k * inner, source = gy + i * inner
                for j in 0..<inner { target[j] += source[j] }
            }
        }
    }
}
