import ArgumentParser
import BertKit
import Foundation

/// What a bug report needs: the CPU, the backend and kernels, threads, and measured rates.
struct EnvCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "env",
        abstract: "Print the CPU, the matrix backend and the kernel each precision runs, and measured GFLOP/s.",
        discussion: """
            The kernels are chosen from the CPU's feature bits. The measured line times BertKit's fp32, bf16 and
            int8 products on MiniLM's largest dense shape, next to the rate this CPU's own fused multiply-adds
            reach on the same threads: what such a CPU should reach. Paste the output into bug reports.

              bertkit env
              bertkit env --json --threads 1
            """
    )

    @Option(help: threadsHelp("Threads to measure with")) var threads: Int?
    @Flag(help: "Skip the measurement (about a second).") var noMeasure = false
    @Flag(help: "One JSON object instead of text.") var json = false

    func run() throws {
        try useThreads(threads)
        let report = BackendReport(measure: !noMeasure)
        if json {
            var object: [String: String] = [:]
            for (key, value) in report.fields { object[key] = value }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            print(report.text)
            for warning in report.backend.warnings { print(warning) }
        }
    }
}
