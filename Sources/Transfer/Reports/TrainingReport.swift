import Checkpoints
import Foundation

/// Everything worth keeping about a training run, written as JSON, a Markdown summary and an SVG
/// chart of the loss and the dev metric.
///
/// ```swift
/// var report = TrainingReport(title: "SST-2, MiniLM frozen + linear head", history: history, metrics: .classification(dev))
/// report.settings = [.init("model", "sentence-transformers/all-MiniLM-L6-v2"), .init("epochs", "3")]
/// report.timings = [.init("training", seconds: 412.5), .init("evaluation", seconds: 9.1)]
/// let files = try report.write(to: outputFolder)   // report.json, report.md, report.svg
/// ```
public struct TrainingReport: Sendable, Hashable, Codable {
    /// A named setting of the run (model, data, hyperparameters), shown as text.
    public struct Setting: Sendable, Hashable, Codable {
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) {
            self.name = name
            self.value = value
        }
    }

    /// Wall-clock time of one phase of the run.
    public struct Timing: Sendable, Hashable, Codable {
        public var name: String
        public var seconds: Double
        public init(_ name: String, seconds: Double) {
            self.name = name
            self.seconds = seconds
        }
    }

    /// The heading of the report and the chart.
    public var title: String
    /// The run's settings, in the order to show them.
    public var settings: [Setting]
    /// Steps and evaluations.
    public var history: TrainingHistory
    /// The final evaluation (of the model kept), if any.
    public var metrics: Metrics?
    /// Times of the phases, in the order to show them.
    public var timings: [Timing]
    /// The evaluation metric to chart and to pick the best evaluation by; nil for the primary
    /// metric of ``metrics``, else `accuracy` if evaluated, else the first evaluated name.
    public var chartMetric: String?

    public init(title: String, settings: [Setting] = [], history: TrainingHistory, metrics: Metrics? = nil,
                timings: [Timing] = [], chartMetric: String? = nil) {
        self.title = title
        self.settings = settings
        self.history = history
        self.metrics = metrics
        self.timings = timings
        self.chartMetric = chartMetric
    }

    /// The metric charted: ``chartMetric`` or the default it describes; nil when nothing was evaluated.
    public var plottedMetric: String? {
        let names = history.metricNames
        if let chartMetric { return chartMetric }
        if let primary = metrics?.primary.name, names.contains(primary) { return primary }
        if names.contains("accuracy") { return "accuracy" }
        return names.first
    }

    /// Whether a larger value of the charted metric is better (errors such as `mse` are not).
    private var plottedHigherIsBetter: Bool {
        guard let name = plottedMetric else { return true }
        if let value = metrics?.summary.first(where: { $0.name == name }) { return value.higherIsBetter }
        return !["mse", "mae", "loss", "hamming_loss", "rmse"].contains(name)
    }

    // MARK: JSON

    /// The report as pretty-printed JSON with sorted keys; a non-finite loss is written as the
    /// string `"NaN"` or `"Infinity"`, as JSON has no such numbers.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return try encoder.encode(self)
    }

    /// Reads a report written by ``json()``.
    public static func decode(_ data: Data) throws -> TrainingReport {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return try decoder.decode(TrainingReport.self, from: data)
    }

    // MARK: SVG

    /// The chart of the training loss and the dev metric, as SVG.
    public var svg: String {
        TrainingPlot(history: history, metric: plottedMetric, title: title).svg
    }

    // MARK: Markdown

    /// A Markdown summary: settings, final metrics, the course of training, evaluations and timings.
    ///
    /// - Parameter chartFile: the chart's file name, relative to the Markdown file, to show it; nil
    ///   to leave it out.
    public func markdown(chartFile: String? = nil) -> String {
        var out = "# \(MarkdownTable.inline(title))\n"
        if !settings.isEmpty {
            out += "\n## Settings\n\n"
            out += MarkdownTable(header: ["setting", "value"], rows: settings.map { [$0.name, $0.value] }).text
        }
        if let metrics {
            out += "\n## Results\n\nFinal evaluation on \(metrics.count) \(metrics.task == "tagging" ? "words" : "examples").\n\n"
            out += metrics.markdown()
        }

        out += "\n## Training\n\n"
        let steps = history.steps
        if let last = steps.last {
            let finite = steps.map(\.loss).filter(\.isFinite)
            let tail = steps.suffix(max(1, steps.count / 10)).map(\.loss).filter(\.isFinite)
            var facts = ["\(steps.count) steps over \(trimmed(last.epoch)) epochs (last step \(last.step))"]
            if let first = steps.first?.loss { facts.append("first loss \(formatted(first))") }
            if !tail.isEmpty { facts.append("mean loss over the last \(tail.count) steps \(formatted(tail.reduce(0, +) / Double(tail.count)))") }
            if let lowest = finite.min() { facts.append("lowest loss \(formatted(lowest))") }
            if finite.count < steps.count { facts.append("**\(steps.count - finite.count) steps had a non-finite loss**") }
            facts.append("learning rate from \(scientific(steps.first!.learningRate)) to \(scientific(last.learningRate)), peak \(scientific(steps.map(\.learningRate).max()!))")
            out += facts.map { "- " + $0 + "\n" }.joined()
        } else {
            out += "- no steps recorded\n"
        }
        if let name = plottedMetric, let best = history.best(name, higherIsBetter: plottedHigherIsBetter), let value = best.metrics[name] {
            out += "- best dev \(name) \(formatted(value)) at step \(best.step)\(best.epoch.map { " (epoch \(trimmed($0)))" } ?? "")\n"
        }
        if let chartFile {
            let alt = plottedMetric.map { "Training loss per step and dev \($0) per evaluation" } ?? "Training loss per step"
            out += "\n![\(alt)](\(chartFile))\n"
        }

        if !history.evaluations.isEmpty {
            var names = history.metricNames
            if let first = plottedMetric, let i = names.firstIndex(of: first) { names.insert(names.remove(at: i), at: 0) }
            out += "\n### Evaluations\n\n"
            out += MarkdownTable(
                header: ["step", "epoch"] + names,
                rows: history.evaluations.map { e in
                    [String(e.step), e.epoch.map(trimmed) ?? ""] + names.map { e.metrics[$0].map(formatted) ?? "" }
                },
                rightAligned: Set(0..<(names.count + 2))).text
        }

        var timingRows = timings.map { [$0.name, duration($0.seconds)] }
        if let seconds = steps.last?.seconds, seconds > 0 {
            timingRows.append(["steps per second", String(format: "%.2f", Double(steps.count) / seconds)])
        }
        if !timingRows.isEmpty {
            out += "\n## Timings\n\n"
            out += MarkdownTable(header: ["phase", "time"], rows: timingRows, rightAligned: [1]).text
        }
        return out
    }

    // MARK: Files

    /// The files ``write(to:name:)`` wrote.
    public struct Files: Sendable, Hashable {
        public var json: URL
        public var markdown: URL
        public var svg: URL
    }

    /// Writes `<name>.json`, `<name>.md` (showing the chart) and `<name>.svg` into `folder`, each
    /// atomically (a reader sees the old file or the whole new one), creating the folder if needed.
    ///
    /// - Throws: `CheckpointError` when the file system fails, or an `EncodingError`.
    @discardableResult
    public func write(to folder: URL, name: String = "report") throws -> Files {
        let files = Files(json: folder.appendingPathComponent("\(name).json"),
                          markdown: folder.appendingPathComponent("\(name).md"),
                          svg: folder.appendingPathComponent("\(name).svg"))
        try AtomicFile.write(json(), to: files.json)
        try AtomicFile.write(Data(svg.utf8), to: files.svg)
        try AtomicFile.write(Data(markdown(chartFile: files.svg.lastPathComponent).utf8), to: files.markdown)
        return files
    }
}

/// `2`, `1.5`, `0.33`: a number of epochs without needless decimals.
private func trimmed(_ value: Double) -> String {
    if value == value.rounded() { return String(Int(value)) }
    return fmt(value)
}

/// `2e-05`-style text for a learning rate.
private func scientific(_ value: Double) -> String {
    value == 0 ? "0" : String(format: "%.3g", value)
}

/// `12.3 s`, `4 min 05 s`, `1 h 02 min`.
private func duration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "\(seconds)" }
    if seconds < 60 { return String(format: "%.1f s", seconds) }
    let whole = Int(seconds.rounded())
    if whole < 3600 { return String(format: "%d min %02d s", whole / 60, whole % 60) }
    return String(format: "%d h %02d min", whole / 3600, (whole % 3600) / 60)
}
