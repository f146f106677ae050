/// Whether ops record their backward. Off inside `withNoGrad`, where nothing is recorded and no
/// buffer is kept alive for a backward pass.
public enum GradMode {
    @TaskLocal static var enabledValue = true

    /// True unless inside `withNoGrad`.
    public static var isEnabled: Bool { enabledValue }
}

/// Runs `body` in inference mode: no op records a backward closure, so activations are freed as
/// soon as they are no longer used.
public func withNoGrad<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
    let result: Result<R, E> = GradMode.$enabledValue.withValue(false) {
        do throws(E) { return .success(try body()) } catch { return .failure(error) }
    }
    return try result.get()
}
