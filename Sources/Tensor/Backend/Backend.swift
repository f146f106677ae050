#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif
import CKernels
import COneDNN
import Foundation

/// The library that runs BertKit's matrix products, chosen once per process.
///
/// - `oneDNN` (x86-64 Linux, the default there): picks its kernels from the CPU's feature bits
///   (AVX2, AVX-512, AVX512-BF16, VNNI, AMX), so a CPU that no library's model table knows still
///   runs at its ceiling. It also carries the bf16 and int8 products.
/// - `openBLAS` (other Linux CPUs, e.g. aarch64): fp32 only; bf16 and int8 run through float.
/// - `accelerate` (Apple platforms): fp32 only, as openBLAS.
///
/// ``Settings/backend`` (`openblas` or `onednn`) overrides the choice, for comparisons.
public enum MatrixBackend: String, Sendable {
    case oneDNN = "onednn", openBLAS = "openblas", accelerate

    public static let current: MatrixBackend = {
        #if canImport(Accelerate)
        return .accelerate
        #else
        let requested = Settings.backend
        bertkit_dnnl_limit_isa(bertkit_isa_limit())
        let dnnl = bertkit_dnnl_available() != 0
        if requested == "openblas" { return .openBLAS }
        if requested == "onednn", dnnl { return .oneDNN }
        #if arch(x86_64)
        return dnnl ? .oneDNN : .openBLAS
        #else
        return .openBLAS
        #endif
        #endif
    }()

    /// "oneDNN 2.6.3", "OpenBLAS 0.3.21", "Accelerate".
    public var name: String {
        switch self {
        case .oneDNN: return "oneDNN \(String(cString: bertkit_dnnl_version()))"
        case .openBLAS:
            #if canImport(Accelerate)
            return "OpenBLAS"
            #else
            let config = String(cString: openblas_get_config())
            return config.split(separator: " ").prefix(2).joined(separator: " ")
            #endif
        case .accelerate: return "Accelerate"
        }
    }

    /// The kernel family each precision runs with, and whether the CPU does it natively.
    public struct Kernel: Sendable, CustomStringConvertible {
        /// The library's name for the code path ("dnnl_sgemm jit, avx512_core_bf16", "OpenBLAS Haswell").
        public let name: String
        /// The vector instruction set the kernel uses, as the library reports it.
        public let isa: String
        /// False when the kernel is the library's generic code although the CPU has wider vectors,
        /// or when this precision runs emulated (converted to float) rather than in hardware.
        public let native: Bool
        /// Why `native` is false, for warnings and `bertkit env`.
        public let note: String?
        public var description: String { name + (note.map { " (\($0))" } ?? "") }
    }

    /// What runs fp32 products.
    public var fp32Kernel: Kernel {
        let cpu = CPUInfo.current
        switch self {
        case .oneDNN:
            let isa = String(cString: bertkit_dnnl_isa())
            let generic = !isa.hasPrefix("avx2") && !isa.hasPrefix("avx512") && cpu.bestVectorISA != "baseline"
            return Kernel(name: "dnnl_sgemm jit, \(isa)", isa: isa, native: !generic,
                          note: generic ? "oneDNN is limited to \(isa) but the CPU has \(cpu.bestVectorISA)" : nil)
        case .openBLAS:
            #if canImport(Accelerate)
            return Kernel(name: "OpenBLAS", isa: "", native: true, note: nil)
            #else
            let core = String(cString: openblas_get_corename())
            let generic = Self.isGenericOpenBLASCore(core) && cpu.bestVectorISA != "baseline"
            return Kernel(name: "OpenBLAS \(core) kernels", isa: core, native: !generic,
                          note: generic ? "OpenBLAS does not know this CPU and runs generic \(core) kernels; it has \(cpu.bestVectorISA)" : nil)
            #endif
        case .accelerate:
            return Kernel(name: "Accelerate", isa: "", native: true, note: nil)
        }
    }

    /// What runs bf16 products.
    public var bf16Kernel: Kernel {
        let cpu = CPUInfo.current
        guard self == .oneDNN, LowPrecision.hasBF16Products else {
            let why = cpu.hasNativeBF16 ? "\(name) has no bf16 product here" : "no AVX512-BF16 or AMX on this CPU"
            return Kernel(name: "fp32 products (\(fp32Kernel.name))", isa: fp32Kernel.isa, native: false,
                          note: "\(why): bf16 runs as fp32, faster here than converting to bf16 and at least as exact")
        }
        let impl = String(cString: bertkit_dnnl_bf16_impl())
        let isa = String(cString: bertkit_dnnl_isa())
        return Kernel(name: "dnnl matmul \(impl), \(isa)", isa: isa, native: true, note: nil)
    }

    /// What runs int8 products: oneDNN's VNNI (or AMX) kernels where the CPU has them, else
    /// BertKit's 16-bit multiply-add kernel, which keeps all 8 bits of the weights.
    public var int8Kernel: Kernel {
        if LowPrecision.hasInt8Products {
            let isa = String(cString: bertkit_dnnl_isa())
            return Kernel(name: "dnnl_gemm_u8s8s32 jit, \(isa)", isa: isa, native: true, note: nil)
        }
        let isa = String(cString: bertkit_kernel_isa())
        let vector = isa != "baseline"
        return Kernel(name: "BertKit u8·s8 with 16-bit multiply-adds (\(vector ? "vpmaddwd, " : "")\(isa))", isa: isa, native: vector,
                      note: vector ? nil : "no AVX2 here: int8 runs a plain loop, slower than fp32")
    }

    /// OpenBLAS's names for its pre-AVX2 code paths, which it also falls back to for CPUs newer
    /// than its build.
    static func isGenericOpenBLASCore(_ core: String) -> Bool {
        ["prescott", "katmai", "coppermine", "northwood", "banias", "core2", "penryn", "dunnington", "nehalem",
         "atom", "opteron", "barcelona", "bobcat", "generic"].contains(core.lowercased())
    }

    /// Warnings for a CPU that runs slower kernels than it could: one line each, for stderr.
    public var warnings: [String] {
        [fp32Kernel].compactMap { k in k.native ? nil : "warning: fp32 products: \(k.note ?? k.name)" }
    }
}
