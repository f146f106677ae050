import Tensor

/// How the ranks' gradients are summed each step: by MPI's allreduce in buckets
/// (``GradientBuckets``), or in memory the ranks of a host share (``SharedOptimizerState``).
protocol GradientSum: AnyObject {
    /// Before each backward pass (only the step's first one counts).
    func prepareStep(viewing: Bool)
    /// The backward pass's hook: a leaf's gradient is final.
    func gradientReady(_ leaf: Tensor)
    /// After the step's last backward pass: the summed gradients, in place; their global L2 norm.
    func finish() throws -> Float
}
