import ArgumentParser
import BertKit
import Foundation

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks (never run in CI): GEMM overhead, and BertKit's side of scripts/bench/run.",
        discussion: """
            forward, embed, finetune, frozen, tokenize and qa each print one JSON line for one figure of
            docs/benchmarks.md; scripts/bench/run runs them next to scripts/bench/pytorch_bench.py.
            """,
        subcommands: [GemmBench.self, ForwardBench.self, EmbedBench.self, FinetuneBench.self, FrozenBench.self,
                      TokenizeBench.self, EmbeddingTrainBench.self, QuestionAnsweringBench.self]
    )
}

/// GFLOP/s of BertKit's matrix products next to a plain loop of the backend's call, on MiniLM's shapes,
/// after the machine's facts (bertkit env).
struct GemmBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm",
        abstract: "GFLOP/s of BertKit's matrix products next to a plain loop of the backend's call, on MiniLM's shapes."
    )

    @OptionGroup var compute: ComputeOptions
    @Option(help: "Timed repetitions per shape (the best is kept).") var repeats = 10

    func run() throws {
        try compute.apply()
        print(BackendReport(measure: true).text)
        let header = ["shape", "BertKit GFLOP/s", "plain loop GFLOP/s", "overhead"]
        var lines = [header]
        for row in GemmBenchmark.run(repeats: repeats) {
            lines.append([row.name, String(format: "%.1f", row.bertKitGFLOPS), String(format: "%.1f", row.plainGFLOPS),
                          String(format: "%+.1f%%", row.overhead * 100)])
        }
        printTable(lines)
    }
}

/// Prints rows as a Markdown table with aligned columns.
func printTable(_ rows: [[String]]) {
    let widths = (0..<rows[0].count).map { c in rows.map { $0[c].count }.max() ?? 0 }
    for (i, row) in rows.enumerated() {
        print("| " + row.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }.joined(separator: " | ") + " |")
        if i == 0 { print("|" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "|") + "|") }
    }
}
