import Foundation

/// A hand-written SVG chart of a training run: the training loss per step (raw, faint, and
/// smoothed) against the left axis, and a dev metric per evaluation against the right axis.
public struct TrainingPlot: Sendable {
    /// The run to draw.
    public var history: TrainingHistory
    /// The evaluation metric to draw; nil draws none.
    public var metric: String?
    /// The chart's title.
    public var title: String
    /// The size in pixels.
    public var width: Double = 760
    public var height: Double = 430

    public init(history: TrainingHistory, metric: String?, title: String = "Training") {
        self.history = history
        self.metric = metric
        self.title = title
    }

    static let lossColor = "#1f77b4"
    static let metricColor = "#e4572e"
    static let inkColor = "#333333"
    static let gridColor = "#e6e6e6"

    /// The chart as a standalone SVG document.
    public var svg: String {
        let left = 70.0, right = metric == nil ? 28.0 : 70.0, top = 62.0, bottom = 56.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        var out = SVGWriter()
        out.open("svg", ["xmlns": "http://www.w3.org/2000/svg", "width": fmt(width), "height": fmt(height),
                         "viewBox": "0 0 \(fmt(width)) \(fmt(height))",
                         "font-family": "Helvetica, Arial, 'DejaVu Sans', sans-serif", "font-size": "12"])
        out.element("title", text: title)
        out.element("rect", ["x": "0", "y": "0", "width": fmt(width), "height": fmt(height), "fill": "#ffffff"])
        out.element("text", ["x": fmt(left), "y": "26", "font-size": "16", "font-weight": "bold", "fill": Self.inkColor], text: title)

        let losses = history.steps.filter { $0.loss.isFinite }
        let evaluations: [(step: Int, value: Double)] = metric.map { name in
            history.evaluations.compactMap { e in e.metrics[name].flatMap { $0.isFinite ? (e.step, $0) : nil } }
        } ?? []

        // Scales.
        let maxStep = max(losses.map(\.step).max() ?? 0, evaluations.map(\.step).max() ?? 0, 1)
        let xScale = AxisScale(min: 0, max: Double(maxStep), ticks: 7, minimumStep: 1)
        let lossScale = AxisScale(min: losses.map(\.loss).min() ?? 0, max: losses.map(\.loss).max() ?? 1, ticks: 6)
        let metricScale = AxisScale(min: evaluations.map(\.value).min() ?? 0, max: evaluations.map(\.value).max() ?? 1, ticks: 6)
        func x(_ step: Double) -> Double { left + xScale.fraction(step) * plotWidth }
        func yLoss(_ v: Double) -> Double { top + (1 - lossScale.fraction(v)) * plotHeight }
        func yMetric(_ v: Double) -> Double { top + (1 - metricScale.fraction(v)) * plotHeight }
        let plotBottom = top + plotHeight, plotRight = left + plotWidth

        // Grid, at the loss ticks (horizontal) and the step ticks (vertical).
        out.open("g", ["stroke": Self.gridColor, "stroke-width": "1", "shape-rendering": "crispEdges"])
        for t in lossScale.ticks { out.line(left, yLoss(t), plotRight, yLoss(t)) }
        for t in xScale.ticks { out.line(x(t), top, x(t), plotBottom) }
        out.close("g")

        // Epoch boundaries: the first step whose whole epoch number is higher than the step's before
        // (epoch 1.0 ends the first epoch), labelled with the epoch that follows; none at the end.
        var boundaries: [(step: Int, epoch: Int)] = []
        for (a, b) in zip(history.steps, history.steps.dropFirst().dropLast()) where b.epoch.rounded(.down) > a.epoch.rounded(.down) {
            boundaries.append((b.step, Int(b.epoch.rounded(.down)) + 1))
        }
        if !boundaries.isEmpty, boundaries.count <= 20 {
            out.open("g", ["stroke": "#b0b0b0", "stroke-width": "1", "stroke-dasharray": "4 3"])
            for b in boundaries { out.line(x(Double(b.step)), top, x(Double(b.step)), plotBottom) }
            out.close("g")
            out.open("g", ["fill": "#8a8a8a", "font-size": "10", "text-anchor": "start"])
            for b in boundaries { out.element("text", ["x": fmt(x(Double(b.step)) + 3), "y": fmt(top + 11)], text: "epoch \(b.epoch)") }
            out.close("g")
        }

        // Frame and axes.
        out.element("rect", ["x": fmt(left), "y": fmt(top), "width": fmt(plotWidth), "height": fmt(plotHeight),
                             "fill": "none", "stroke": "#999999", "stroke-width": "1", "shape-rendering": "crispEdges"])
        out.open("g", ["fill": Self.inkColor, "text-anchor": "middle"])
        for t in xScale.ticks {
            out.line(x(t), plotBottom, x(t), plotBottom + 5, stroke: "#999999")
            out.element("text", ["x": fmt(x(t)), "y": fmt(plotBottom + 19)], text: xScale.label(t))
        }
        out.element("text", ["x": fmt(left + plotWidth / 2), "y": fmt(height - 14)], text: "step")
        out.close("g")

        out.open("g", ["fill": Self.lossColor, "text-anchor": "end"])
        for t in lossScale.ticks {
            out.line(left - 5, yLoss(t), left, yLoss(t), stroke: "#999999")
            out.element("text", ["x": fmt(left - 8), "y": fmt(yLoss(t) + 4)], text: lossScale.label(t))
        }
        out.close("g")
        out.element("text", ["x": "0", "y": "0", "fill": Self.lossColor, "text-anchor": "middle",
                             "transform": "translate(18 \(fmt(top + plotHeight / 2))) rotate(-90)"], text: "training loss")

        if let metric {
            out.open("g", ["fill": Self.metricColor, "text-anchor": "start"])
            for t in metricScale.ticks {
                out.line(plotRight, yMetric(t), plotRight + 5, yMetric(t), stroke: "#999999")
                out.element("text", ["x": fmt(plotRight + 8), "y": fmt(yMetric(t) + 4)], text: metricScale.label(t))
            }
            out.close("g")
            out.element("text", ["x": "0", "y": "0", "fill": Self.metricColor, "text-anchor": "middle",
                                 "transform": "translate(\(fmt(width - 16)) \(fmt(top + plotHeight / 2))) rotate(90)"],
                        text: "dev \(metric)")
        }

        // Data, clipped to the plot area.
        out.open("defs")
        out.open("clipPath", ["id": "plot-area"])
        out.element("rect", ["x": fmt(left - 6), "y": fmt(top - 6), "width": fmt(plotWidth + 12), "height": fmt(plotHeight + 12)])
        out.close("clipPath")
        out.close("defs")
        out.open("g", ["clip-path": "url(#plot-area)", "fill": "none", "stroke-linejoin": "round", "stroke-linecap": "round"])
        let raw = Self.downsample(losses.map { (Double($0.step), $0.loss) }, to: Int(plotWidth))
        let smoothed = Self.smooth(raw)
        let drawsRaw = raw.count >= 20
        if drawsRaw {
            out.polyline(raw.map { (x($0.0), yLoss($0.1)) }, stroke: Self.lossColor, width: 1, opacity: 0.3)
        }
        if raw.count == 1 {
            out.element("circle", ["cx": fmt(x(raw[0].0)), "cy": fmt(yLoss(raw[0].1)), "r": "3", "fill": Self.lossColor])
        } else if !raw.isEmpty {
            out.polyline((drawsRaw ? smoothed : raw).map { (x($0.0), yLoss($0.1)) }, stroke: Self.lossColor, width: 2, opacity: 1)
        }
        if !evaluations.isEmpty {
            let points = evaluations.map { (x(Double($0.step)), yMetric($0.value)) }
            if points.count > 1 { out.polyline(points, stroke: Self.metricColor, width: 2, opacity: 1) }
            out.open("g", ["fill": "#ffffff", "stroke": Self.metricColor, "stroke-width": "2"])
            for p in points { out.element("circle", ["cx": fmt(p.0), "cy": fmt(p.1), "r": "3.5"]) }
            out.close("g")
        }
        out.close("g")
        if losses.isEmpty && evaluations.isEmpty {
            out.element("text", ["x": fmt(left + plotWidth / 2), "y": fmt(top + plotHeight / 2), "fill": "#8a8a8a",
                                 "text-anchor": "middle", "font-size": "14"], text: "no steps recorded")
        }

        // Legend, above the plot on the right.
        var entries: [(label: String, color: String, width: Double, opacity: Double, marker: Bool)] = []
        if drawsRaw { entries.append(("loss per step", Self.lossColor, 1, 0.3, false)) }
        if !losses.isEmpty { entries.append((drawsRaw ? "loss, smoothed" : "loss", Self.lossColor, 2, 1, false)) }
        if let metric, !evaluations.isEmpty { entries.append(("dev \(metric)", Self.metricColor, 2, 1, true)) }
        var cursor = plotRight
        out.open("g", ["font-size": "12", "fill": Self.inkColor])
        for entry in entries.reversed() {
            let textWidth = Double(entry.label.count) * 6.6
            cursor -= textWidth
            out.element("text", ["x": fmt(cursor), "y": fmt(top - 16)], text: entry.label)
            cursor -= 30
            out.line(cursor, top - 20, cursor + 24, top - 20, stroke: entry.color, width: entry.width, opacity: entry.opacity)
            if entry.marker {
                out.element("circle", ["cx": fmt(cursor + 12), "cy": fmt(top - 20), "r": "3.5", "fill": "#ffffff",
                                       "stroke": entry.color, "stroke-width": "2"])
            }
            cursor -= 18
        }
        out.close("g")
        out.close("svg")
        return out.text
    }

    /// At most `count` points: the mean of equal runs of consecutive points.
    static func downsample(_ points: [(Double, Double)], to count: Int) -> [(Double, Double)] {
        guard points.count > count, count > 0 else { return points }
        return (0..<count).map { i in
            let slice = points[(i * points.count / count)..<((i + 1) * points.count / count)]
            let n = Double(slice.count)
            return (slice.reduce(0) { $0 + $1.0 } / n, slice.reduce(0) { $0 + $1.1 } / n)
        }
    }

    /// A centred moving average over about a twenty-fifth of the points (fewer at the ends), so the
    /// smoothed curve follows the trend without the lag of an exponential average.
    static func smooth(_ points: [(Double, Double)]) -> [(Double, Double)] {
        let half = max(1, points.count / 50)
        var prefix = [0.0]
        prefix.reserveCapacity(points.count + 1)
        for p in points { prefix.append(prefix.last! + p.1) }
        return points.indices.map { i in
            let lo = max(0, i - half), hi = min(points.count, i + half + 1)
            return (points[i].0, (prefix[hi] - prefix[lo]) / Double(hi - lo))
        }
    }
}

/// Builds SVG text, escaping every attribute value and text node.
struct SVGWriter {
    private(set) var text = ""
    private var depth = 0

    mutating func open(_ name: String, _ attributes: KeyValuePairs<String, String> = [:]) {
        text += indent + "<\(name)\(Self.attributes(attributes))>\n"
        depth += 1
    }

    mutating func close(_ name: String) {
        depth -= 1
        text += indent + "</\(name)>\n"
    }

    mutating func element(_ name: String, _ attributes: KeyValuePairs<String, String> = [:], text content: String? = nil) {
        if let content {
            text += indent + "<\(name)\(Self.attributes(attributes))>\(Self.escape(content))</\(name)>\n"
        } else {
            text += indent + "<\(name)\(Self.attributes(attributes))/>\n"
        }
    }

    mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String? = nil, width: Double? = nil,
                       opacity: Double? = nil) {
        var attributes = "x1=\"\(fmt(x1))\" y1=\"\(fmt(y1))\" x2=\"\(fmt(x2))\" y2=\"\(fmt(y2))\""
        if let stroke { attributes += " stroke=\"\(Self.escape(stroke))\"" }
        if let width { attributes += " stroke-width=\"\(fmt(width))\"" }
        if let opacity, opacity < 1 { attributes += " stroke-opacity=\"\(fmt(opacity))\"" }
        text += indent + "<line \(attributes)/>\n"
    }

    mutating func polyline(_ points: [(Double, Double)], stroke: String, width: Double, opacity: Double) {
        let coordinates = points.map { "\(fmt($0.0)),\(fmt($0.1))" }.joined(separator: " ")
        var attributes = "points=\"\(coordinates)\" stroke=\"\(Self.escape(stroke))\" stroke-width=\"\(fmt(width))\""
        if opacity < 1 { attributes += " stroke-opacity=\"\(fmt(opacity))\"" }
        text += indent + "<polyline \(attributes)/>\n"
    }

    private var indent: String { String(repeating: "  ", count: depth) }

    private static func attributes(_ pairs: KeyValuePairs<String, String>) -> String {
        pairs.map { " \($0.key)=\"\(escape($0.value))\"" }.joined()
    }

    private static let entities: [Unicode.Scalar: String] = ["&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&apos;"]

    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for c in s.unicodeScalars {
            if let entity = entities[c] {
                out += entity
            } else if c.value < 0x20 && c != "\t" && c != "\n" && c != "\r" {
                out += " "  // XML 1.0 allows no control characters but tab and line breaks.
            } else {
                out.unicodeScalars.append(c)
            }
        }
        return out
    }
}

/// A coordinate with at most two decimals and no trailing zeros.
func fmt(_ value: Double) -> String {
    guard value.isFinite else { return "0" }
    var text = String(format: "%.2f", value)
    while text.hasSuffix("0") { text.removeLast() }
    if text.hasSuffix(".") { text.removeLast() }
    return text == "-0" ? "0" : text
}
