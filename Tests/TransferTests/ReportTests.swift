import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
@testable import Transfer
import XCTest

/// Counts the elements of an XML document and collects its text; fails on malformed XML.
final class XMLSummary: NSObject, XMLParserDelegate {
    var counts: [String: Int] = [:]
    /// The text nodes, one a line.
    var text = ""
    var root: String?
    private var pending = ""

    init?(_ xml: String) {
        super.init()
        let parser = XMLParser(data: Data(xml.utf8))
        parser.delegate = self
        guard parser.parse() else { return nil }
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        if root == nil { root = name }
        counts[name, default: 0] += 1
        flush()
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) { flush() }

    /// The parser may hand one text node over in pieces (around `&amp;`): join them.
    func parser(_ parser: XMLParser, foundCharacters string: String) { pending += string }

    private func flush() {
        let trimmed = pending.trimmingCharacters(in: .whitespacesAndNewlines)
        if !trimmed.isEmpty { text += trimmed + "\n" }
        pending = ""
    }
}

final class ReportTests: XCTestCase {
    /// Three epochs of 100 steps: a noisy falling loss, linear warm-up then decay, and an
    /// evaluation every 50 steps.
    static func sampleHistory() -> TrainingHistory {
        var history = TrainingHistory()
        var seed: UInt64 = 42
        for step in 1...300 {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            let noise = Double(seed >> 11) / Double(1 << 53) - 0.5
            let loss = 0.25 + 0.45 * exp(-Double(step) / 60) + 0.12 * noise
            let lr = step <= 30 ? 5e-4 * Double(step) / 30 : 5e-4 * Double(300 - step) / 270
            history.record(step: step, epoch: Double(step) / 100, loss: loss, learningRate: lr, seconds: Double(step) * 0.5)
        }
        let accuracy = [0.78, 0.84, 0.87, 0.89, 0.885, 0.9]
        for (i, a) in accuracy.enumerated() {
            history.evaluations.append(.init(step: 50 * (i + 1), epoch: Double(50 * (i + 1)) / 100,
                                             metrics: ["accuracy": a, "macro_f1": a - 0.01], seconds: Double(50 * (i + 1)) * 0.5 + 1))
        }
        return history
    }

    static func sampleReport() -> TrainingReport {
        let dev = ClassificationMetrics(predicted: [0, 1, 1, 0, 1], gold: [0, 1, 0, 0, 1], labels: LabelSet(["negative", "positive"]))
        return TrainingReport(
            title: "Sentiment <example> & test",
            settings: [.init("model", "sentence-transformers/all-MiniLM-L6-v2"), .init("learning rate", "5e-4")],
            history: sampleHistory(), metrics: .classification(dev),
            timings: [.init("training", seconds: 150), .init("evaluation", seconds: 6.25)])
    }

    func testWritesJSONMarkdownAndSVGAtomically() throws {
        let folder = TemporaryFolder()
        let out = folder.url.appendingPathComponent("runs/sst2")  // created on demand
        let report = Self.sampleReport()
        let files = try report.write(to: out)
        try report.write(to: out)  // replacing is fine
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out.path).sorted(), ["report.json", "report.md", "report.svg"],
                       "no temporary files left behind")

        XCTAssertEqual(try TrainingReport.decode(Data(contentsOf: files.json)), report)
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: files.json)) as! [String: Any]
        XCTAssertEqual((json["metrics"] as? [String: Any])?["task"] as? String, "classification")
        XCTAssertEqual(((json["history"] as? [String: Any])?["steps"] as? [Any])?.count, 300)

        let markdown = try String(contentsOf: files.markdown, encoding: .utf8)
        for expected in ["# Sentiment \\<example> & test\n", "## Settings", "| learning rate | 5e-4 |", "## Results",
                         "Final evaluation on 5 examples.", "| accuracy | 0.8000 |", "## Training",
                         "- 300 steps over 3 epochs (last step 300)", "- best dev accuracy 0.9000 at step 300 (epoch 3)",
                         "![Training loss per step and dev accuracy per evaluation](report.svg)",
                         "| step | epoch | accuracy | macro_f1 |", "| 150 | 1.5 | 0.8700 | 0.8600 |",
                         "## Timings", "| training | 2 min 30 s |", "| evaluation | 6.2 s |", "| steps per second | 2.00 |"] {
            XCTAssertTrue(markdown.contains(expected), "missing \(expected) in\n\(markdown)")
        }

        let svg = try String(contentsOf: files.svg, encoding: .utf8)
        let xml = try XCTUnwrap(XMLSummary(svg), "the SVG is not well-formed XML")
        XCTAssertEqual(xml.root, "svg")
        XCTAssertEqual(xml.counts["polyline"], 3, "raw loss, smoothed loss, dev metric")
        XCTAssertEqual(xml.counts["circle"], 6 + 1, "one marker per evaluation and one in the legend")
        for label in ["Sentiment <example> & test", "step", "training loss", "dev accuracy", "loss, smoothed", "epoch 2", "epoch 3"] {
            XCTAssertTrue(xml.text.contains(label + "\n"), "no text \"\(label)\" in the chart")
        }
    }

    func testChartAndSummaryOfUnusualRuns() throws {
        // Nothing recorded.
        let empty = TrainingReport(title: "empty", history: TrainingHistory())
        let xml = try XCTUnwrap(XMLSummary(empty.svg))
        XCTAssertTrue(xml.text.contains("no steps recorded"))
        XCTAssertTrue(empty.markdown().contains("- no steps recorded"))
        XCTAssertNil(empty.plottedMetric)

        // A diverged run: non-finite losses are kept in JSON and skipped in the chart.
        var history = TrainingHistory()
        history.record(step: 1, epoch: 0.5, loss: 0.7, learningRate: 1e-3)
        history.record(step: 2, epoch: 1, loss: .nan, learningRate: 1e-3)
        history.record(step: 3, epoch: 1.5, loss: .infinity, learningRate: 1e-3)
        history.evaluations.append(.init(step: 3, metrics: ["mse": 2.5]))
        let diverged = TrainingReport(title: "diverged", history: history)
        XCTAssertTrue(String(decoding: try diverged.json(), as: UTF8.self).contains("\"NaN\""))
        let decoded = try TrainingReport.decode(diverged.json())
        XCTAssertTrue(decoded.history.steps[1].loss.isNaN)
        XCTAssertNotNil(XMLSummary(diverged.svg))
        XCTAssertFalse(diverged.svg.contains("nan"))
        let markdown = diverged.markdown()
        XCTAssertTrue(markdown.contains("**2 steps had a non-finite loss**"), markdown)
        XCTAssertTrue(markdown.contains("- best dev mse 2.5000 at step 3"), markdown)
    }

    func testBestEvaluation() {
        let history = Self.sampleHistory()
        XCTAssertEqual(history.best("accuracy")?.step, 300)
        XCTAssertEqual(history.best("accuracy", higherIsBetter: false)?.step, 50)
        XCTAssertNil(history.best("pearson"))
        XCTAssertEqual(history.metricNames, ["accuracy", "macro_f1"])
    }

    func testAxisScales() {
        let cases: [(min: Double, max: Double, ticks: Int, expected: [Double])] = [
            (0, 1, 6, [0, 0.2, 0.4, 0.6, 0.8, 1]),
            (0.23, 0.71, 6, [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]),
            (0, 300, 7, [0, 50, 100, 150, 200, 250, 300]),
            (0, 3, 7, [0, 0.5, 1, 1.5, 2, 2.5, 3]),
            (0.9, 0.9, 6, [0.8, 0.85, 0.9, 0.95, 1]),
        ]
        for c in cases {
            let ticks = AxisScale(min: c.min, max: c.max, ticks: c.ticks).ticks
            XCTAssertEqual(ticks.count, c.expected.count, "\(c)")
            for (a, b) in zip(ticks, c.expected) { XCTAssertEqual(a, b, accuracy: 1e-9, "\(c)") }
        }
        XCTAssertEqual(AxisScale(min: 0, max: 3, ticks: 7, minimumStep: 1).ticks, [0, 1, 2, 3])
        XCTAssertEqual(AxisScale(min: 0, max: 1, ticks: 6).label(0.4), "0.4")
        XCTAssertEqual(AxisScale(min: 0, max: 300, ticks: 7).label(150), "150")
        XCTAssertEqual(AxisScale(min: -0.1, max: 0.1, ticks: 5).label(-0.0), "0.00")
    }

    func testSVGEscapesText() {
        XCTAssertEqual(SVGWriter.escape("a<b & \"c\" 'd'>\u{1}"), "a&lt;b &amp; &quot;c&quot; &apos;d&apos;&gt; ")
    }
}
