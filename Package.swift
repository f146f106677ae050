// swift-tools-version: 6.0
// BertKit: transfer learning with pretrained BERT-family models, offline, on Linux.
//
// Dependencies point one way (see README "Architecture"):
//   CBLAS, COneDNN, CKernels ← Tensor ← Layers ← Models ← Transfer ← bertkit (CLI); CMPI ← Transfer
//   JSON ← Checkpoints, Tokenizers: these need no tensors; Models and Transfer use them.
import PackageDescription

let package = Package(
    name: "BertKit",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "BertKit", targets: ["BertKit"]),
        .library(name: "Tensor", targets: ["Tensor"]),
        .library(name: "Layers", targets: ["Layers"]),
        .library(name: "Checkpoints", targets: ["Checkpoints"]),
        .library(name: "Tokenizers", targets: ["Tokenizers"]),
        .library(name: "Models", targets: ["Models"]),
        .library(name: "Transfer", targets: ["Transfer"]),
        .executable(name: "bertkit", targets: ["BertKitCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // Documentation only: `swift package generate-documentation --target BertKit` (scripts/test --docs).
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
        // `bertkit serve` (the Serving target) only.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        // The HTTP/1 parts `bertkit serve` reads to time connections and honour keep-alive (Hummingbird's own).
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.34.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // OpenBLAS's CBLAS through pkg-config on Linux. On Apple platforms Tensor uses Accelerate instead.
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // Arithmetic-bound element-wise kernels in C, built per instruction set and picked at run time.
        .target(name: "CKernels"),
        // oneDNN's fp32, bf16 and int8 products (Debian: libdnnl-dev), kernels chosen by CPU features.
        .target(name: "COneDNN", linkerSettings: [.linkedLibrary("dnnl", .when(platforms: [.linux]))]),
        // Open MPI, loaded with dlopen only when mpirun started the process: nothing to install to build.
        .target(name: "CMPI"),
        .target(
            name: "Tensor",
            dependencies: ["CKernels", "COneDNN", .target(name: "CBLAS", condition: .when(platforms: [.linux]))]
        ),
        .target(name: "Layers", dependencies: ["Tensor", "CKernels"]),
        // JSON text: the one parser (one nesting limit, errors with line and column), value and writer.
        // Named BertKitJSON, not JSON: target names are global to a consumer's dependency graph.
        .target(name: "BertKitJSON", path: "Sources/JSON"),
        .target(name: "Checkpoints", dependencies: ["BertKitJSON"]),
        .target(name: "Tokenizers", dependencies: ["BertKitJSON"]),
        .target(name: "Models", dependencies: ["Tensor", "Layers", "Checkpoints"]),
        .target(name: "Transfer", dependencies: ["Tensor", "Layers", "Checkpoints", "Models", "Tokenizers", "CMPI"]),
        .target(name: "BertKit", dependencies: ["Tensor", "Layers", "Checkpoints", "Tokenizers", "Models", "Transfer"]),
        // The HTTP server behind `bertkit serve`: routes, dynamic batching, metrics, shutdown.
        .target(
            name: "Serving",
            dependencies: [
                "BertKit", "BertKitJSON", "Tokenizers",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "BertKitCLI",
            dependencies: [
                "BertKit", "Serving", "Tensor", "Checkpoints", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"), .product(name: "Metrics", package: "swift-metrics"),
            ],
            path: "Sources/bertkit"
        ),
        .target(name: "TestSupport", dependencies: ["Tensor", "CKernels"], path: "Tests/TestSupport"),
        .testTarget(name: "TensorTests", dependencies: ["Tensor", "CKernels", "TestSupport"]),
        .testTarget(name: "LayersTests", dependencies: ["Tensor", "Layers", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "JSONTests", dependencies: ["BertKitJSON"]),
        // Fixtures are read from the source tree (TestPaths), not bundled as resources.
        .testTarget(name: "CheckpointsTests", dependencies: ["Checkpoints", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "TokenizersTests", dependencies: ["Tokenizers", "Checkpoints", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "ModelsTests", dependencies: ["Tensor", "Layers", "Checkpoints", "Models", "Tokenizers", "TestSupport"], exclude: ["Fixtures"]),
        .testTarget(name: "TransferTests", dependencies: ["BertKit", "Tensor", "Checkpoints", "Transfer", "TestSupport"], exclude: ["Fixtures"]),
        // Runs the built `bertkit` as a process: exit codes, stdout format, stderr text.
        .testTarget(name: "CLITests", dependencies: ["Tensor", "Checkpoints", "TestSupport"]),
        .testTarget(
            name: "ServingTests",
            dependencies: [
                "Serving", "BertKit", "TestSupport",
                .product(name: "Hummingbird", package: "hummingbird"), .product(name: "HummingbirdTesting", package: "hummingbird"),
            ],
            exclude: ["Fixtures"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
