extension Tensor {
    /// Replaces this leaf's gradient with `gradient` (same shape): data-parallel training writes the
    /// gradient averaged over all ranks back this way. `nil` drops it.
    public func replaceGrad(_ gradient: Tensor?) {
        if let gradient { precondition(gradient.shape == shape, "gradient of shape \(gradient.shape) for tensor of shape \(shape)") }
        grad = gradient
        gradIsBorrowed = false
    }

    /// Sets this leaf's gradient to the `count` floats at `source`: in place when it owns its
    /// gradient buffer, else in a new one. Data-parallel training writes every parameter's summed
    /// gradient back each step; in place, that costs no allocation and no fresh pages.
    ///
    /// `scale` multiplies every value on the way (gradient clipping, fused into the copy): each
    /// product rounds to Float, exactly as scaling the gradient afterwards would.
    public func setGrad(copying source: UnsafePointer<Float>, scale: Float? = nil) {
        let target = ownedGradStorage(zeroed: false)
        guard let scale else { target.update(from: source, count: count); return }
        for i in 0..<count { target[i] = source[i] * scale }
    }

    /// Sets the listed rows of this `[rows, width]` leaf's gradient to `values` (the rows one after
    /// another). The other rows must already be zero, or the gradient absent: a row-sparse sum
    /// whose rows include every row this gradient has non-zero.
    /// `scale` multiplies the values on the way, as in ``setGrad(copying:scale:)``.
    public func setGradRows(_ rows: [Int], width: Int, from values: UnsafePointer<Float>, scale: Float? = nil) {
        let target = ownedGradStorage(zeroed: true)
        for (k, r) in rows.enumerated() {
            if let scale {
                for i in 0..<width { target[r * width + i] = values[k * width + i] * scale }
            } else {
                (target + r * width).update(from: values + k * width, count: width)
            }
        }
    }

    private func ownedGradStorage(zeroed: Bool) -> UnsafeMutablePointer<Float> {
        if let g = grad, !gradIsBorrowed, g.count == count { return g.storage.pointer }
        let g = zeroed ? Tensor(zeros: shape) : Tensor.uninitialized(shape)
        grad = g
        gradIsBorrowed = false
        return g.storage.pointer
    }
}
