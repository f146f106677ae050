import Synchronization

/// The number format of the dense layers' products in a forward (and backward) pass.
///
/// - `fp32`: every product in float (the default, with transformers' numbers).
/// - `bf16`: products take bfloat16 operands and accumulate in float. In training the master
///   weights, AdamW's moments and the loss stay float (PyTorch's CPU autocast recipe).
/// - `int8`: inference only. Dynamic quantization of the dense layers, as ONNX Runtime's
///   `quantize_dynamic`: weights per output channel (symmetric), activations per row
///   (asymmetric), int32 accumulation.
///
/// Softmax, LayerNorm, GELU, pooling and the attention products (Q·Kᵀ, P·V) stay float in every
/// precision; only the dense layers (`Tensor.linear`) change.
///
/// ```swift
/// let vectors = try Precision.with(.bf16) { try embedder.embed(texts) }
/// Precision.setDefault(.int8)   // every later call in this process, unless overridden
/// ```
public enum Precision: String, Sendable, CaseIterable, Codable {
    case fp32, bf16, int8

    /// The precision in force: the innermost ``with(_:_:)``, else the process default.
    public static var current: Precision { scoped ?? Precision.allCases[Int(processDefault.load(ordering: .relaxed))] }

    /// Runs `body` with `precision` for every dense layer it (and the parallel work it starts) runs.
    public static func with<R, E: Error>(_ precision: Precision, _ body: () throws(E) -> R) throws(E) -> R {
        let result: Result<R, E> = $scoped.withValue(precision) {
            do throws(E) { return .success(try body()) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Sets the precision of every later call in this process that no ``with(_:_:)`` overrides.
    public static func setDefault(_ precision: Precision) {
        processDefault.store(UInt8(Precision.allCases.firstIndex(of: precision)!), ordering: .relaxed)
    }

    @TaskLocal static var scoped: Precision?
    private static let processDefault = Atomic<UInt8>(0)
}
