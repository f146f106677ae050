extension Tensor {
    /// Replaces this leaf's gradient with `gradient` (same shape): data-parallel training writes the
    /// gradient averaged over all ranks back this way. `nil` drops it.
    public func replaceGrad(_ gradient: Tensor?) {
        if let gradient { precondition(gradient.shape == shape, "gradient of shape \(gradient.shape) for tensor of shape \(shape)") }
        grad = gradient
        gradIsBorrowed = false
    }
}
