import CKernels
import Dispatch
import Synchronization

/// What this CPU is and what it can do, from CPUID: never from a table of models, so a CPU newer
/// than every library on the machine is still described by its features.
public struct CPUInfo: Sendable {
    /// The brand string ("AMD EPYC", "Intel(R) Xeon(R) Platinum 8581C CPU @ 2.30GHz").
    public let model: String
    /// CPUID's display family, model number and stepping (0 off x86-64).
    public let family: Int, modelNumber: Int, stepping: Int
    /// Vector features the CPU reports and the operating system has enabled ("avx2", "avx512f",
    /// "avx512_bf16", "amx_bf16", …).
    public let features: [String]
    /// Cores this process may run on.
    public let cores: Int

    public static let current: CPUInfo = {
        var family: Int32 = 0, model: Int32 = 0, stepping: Int32 = 0
        bertkit_cpu_signature(&family, &model, &stepping)
        let features = String(cString: bertkit_cpu_features()).split(separator: " ").map(String.init)
        return CPUInfo(model: String(cString: bertkit_cpu_brand()), family: Int(family), modelNumber: Int(model),
                       stepping: Int(stepping), features: features, cores: Threads.defaultCount)
    }()

    public func has(_ feature: String) -> Bool { features.contains(feature) }

    /// bf16 products in hardware: AMX tiles or AVX512-BF16 dot products.
    public var hasNativeBF16: Bool { has("amx_bf16") || has("avx512_bf16") }

    /// int8 dot products in hardware (VNNI or AMX), which sum u8·s8 pairs into 32 bits without
    /// the 16-bit saturation of older instruction sets.
    public var hasNativeInt8: Bool { has("amx_int8") || has("avx512_vnni") || has("avx_vnni") }

    /// The widest vectors a well-chosen fp32 kernel uses here: "avx512", "avx2" or "baseline".
    public var bestVectorISA: String {
        has("avx512f") ? "avx512" : (has("avx2") && has("fma")) ? "avx2" : "baseline"
    }

    /// One line for reports: "AMD EPYC (family 26, model 2), 2 cores".
    public var summary: String {
        "\(model) (family \(family), model \(modelNumber)), \(cores) core\(cores == 1 ? "" : "s")"
    }
}

/// The fp32 ceiling, measured rather than looked up: fused multiply-adds at the widest vectors
/// the CPU has, on `threads` threads at once.
public enum PeakFLOPS {
    /// GFLOP/s of `threads` threads each running the FMA loop for about `seconds`.
    public static func measure(threads: Int, seconds: Double = 0.2) -> Double {
        let total = Mutex(0.0)
        DispatchQueue.concurrentPerform(iterations: threads) { _ in
            let rate = bertkit_fma_peak_gflops(seconds)
            total.withLock { $0 += rate }
        }
        return total.withLock { $0 }
    }

    /// The vectors the loop ran with: "avx512", "avx2+fma" or "sse (mul+add)".
    public static var instructionSet: String { String(cString: bertkit_fma_isa()) }
}
