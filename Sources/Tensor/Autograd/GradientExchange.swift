extension Tensor {
    /// Replaces this leaf's gradient with `gradient` (same shape): data-parallel training writes the
    /// gradient averaged over all ranks back this way. `nil` drops it.
    public func replaceGrad(_ gradient: Tensor?) {
        if let gradient { precondition(gradient.shape == shape, "gradient of shape \(gradient.shape) for tensor of shape \(shape)") }
        grad = gradient
        gradIsBorrowed = false
    }

    /// Makes this leaf's gradient the `count` floats at `values`, which the next backward passes
    /// add to in place: data-parallel training points each gradient at its place in the buffer
    /// the gradients are summed in. The caller owns that memory and keeps it alive until the
    /// gradient is dropped.
    public func setGrad(viewing values: UnsafeMutablePointer<Float>) {
        grad = Tensor(shape: shape, viewing: values)
        gradIsBorrowed = false
    }

    /// Makes this leaf's gradient the `count` floats at `values`, without copying them: data-parallel
    /// training hands the optimizer the summed gradients where the sum left them.
    ///
    /// The caller owns that memory, keeps it alive, and leaves it unchanged until the gradient is
    /// dropped (``zeroGrad()``, an optimizer step, ``replaceGrad(_:)``). A backward pass that adds to
    /// the gradient meanwhile first copies it, so it never writes there; in-place clipping would,
    /// so clip in the optimizer's step (`AdamW.step(gradientScale:)`).
    public func borrowGrad(_ values: UnsafeMutablePointer<Float>) {
        grad = Tensor(shape: shape, viewing: values)
        gradIsBorrowed = true
    }

    /// Sets the listed rows of this `[rows, width]` leaf's gradient to `values` (the rows one after
    /// another). The other rows must already be zero, or the gradient absent: a row-sparse sum
    /// whose rows include every row this gradient has non-zero.
    public func setGradRows(_ rows: [Int], width: Int, from values: UnsafePointer<Float>) {
        let target = ownedZeroedGradStorage()
        for (k, r) in rows.enumerated() { (target + r * width).update(from: values + k * width, count: width) }
    }

    /// A tensor whose values are the floats at `values`, as many as `shape` holds, not copied: the
    /// caller owns that memory and keeps it alive for as long as the tensor uses it.
    public convenience init(shape: [Int], viewing values: UnsafeMutablePointer<Float>) {
        self.init(shape: shape, storage: Storage(borrowing: values, count: Tensor.elementCount(shape)))
    }

    /// Moves this tensor's values to the `count` floats at `values` and keeps them there, without
    /// copying them (`copying: false`: the memory holds them already). Ranks of a data-parallel
    /// job on one host point each parameter at one shared copy, which each rank updates a part of.
    ///
    /// The caller owns that memory and keeps it alive for as long as this tensor uses it. Tensors
    /// that share the old storage (views made before) keep the old values.
    public func moveValues(to values: UnsafeMutablePointer<Float>, copying: Bool) {
        if copying { values.update(from: storage.pointer, count: count) }
        LowPrecision.invalidate(storage)
        storage = Storage(borrowing: values, count: count)
    }

    /// Moves this tensor's values back into memory of its own (after ``moveValues(to:copying:)``,
    /// before the memory it used goes away).
    public func ownValues() {
        LowPrecision.invalidate(storage)
        storage = Storage(copying: storage.pointer, count: count)
    }

    /// The gradient's memory, written in place when this tensor owns it (or views the caller's),
    /// else a new zeroed buffer.
    private func ownedZeroedGradStorage() -> UnsafeMutablePointer<Float> {
        if let g = grad, !gradIsBorrowed, g.count == count { return g.storage.pointer }
        let g = Tensor(zeros: shape)
        grad = g
        gradIsBorrowed = false
        return g.storage.pointer
    }
}
