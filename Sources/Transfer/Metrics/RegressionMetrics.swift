import Foundation

/// How well predicted numbers match gold numbers: errors and correlations.
public struct RegressionMetrics: Sendable, Hashable, Codable {
    /// The number of examples.
    public var count: Int
    /// Mean squared error.
    public var mse: Double
    /// Mean absolute error.
    public var mae: Double
    /// Pearson's correlation; nil when either side is constant (or fewer than two examples), where
    /// it is undefined.
    public var pearson: Double?
    /// Spearman's rank correlation (Pearson's of the ranks, ties given their mean rank); nil where
    /// undefined.
    public var spearman: Double?

    /// Compares predictions with gold values.
    ///
    /// - Precondition: both have the same length.
    public init(predicted: [Double], gold: [Double]) {
        precondition(predicted.count == gold.count, "\(gold.count) gold values but \(predicted.count) predictions")
        let n = Double(gold.count)
        count = gold.count
        mse = gold.isEmpty ? 0 : zip(predicted, gold).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / n
        mae = gold.isEmpty ? 0 : zip(predicted, gold).reduce(0) { $0 + abs($1.0 - $1.1) } / n
        pearson = Self.pearson(predicted, gold)
        spearman = Self.pearson(Self.ranks(predicted), Self.ranks(gold))
    }

    /// Compares single-precision predictions with gold values.
    public init(predicted: [Float], gold: [Float]) {
        self.init(predicted: predicted.map(Double.init), gold: gold.map(Double.init))
    }

    static func pearson(_ x: [Double], _ y: [Double]) -> Double? {
        guard x.count >= 2 else { return nil }
        let n = Double(x.count)
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for (a, b) in zip(x, y) {
            sxy += (a - mx) * (b - my)
            sxx += (a - mx) * (a - mx)
            syy += (b - my) * (b - my)
        }
        guard sxx > 0, syy > 0 else { return nil }
        return max(-1, min(1, sxy / (sxx * syy).squareRoot()))
    }

    /// 1-based ranks, ties sharing their mean rank.
    static func ranks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count, values[order[j + 1]] == values[order[i]] { j += 1 }
            let mean = Double(i + j) / 2 + 1
            for k in i...j { ranks[order[k]] = mean }
            i = j + 1
        }
        return ranks
    }
}
