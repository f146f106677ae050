import Foundation

/// SQuAD's exact match and F1 (the official `evaluate-v1.1.py`): each prediction scored against
/// the best of its gold answers, after normalizing both (lower case; no punctuation; no articles
/// `a`, `an`, `the`; white space collapsed). Both are percentages, as the official script prints them.
public struct QuestionAnsweringMetrics: Sendable, Hashable, Codable {
    /// Percentage of questions whose normalized prediction equals a normalized gold answer.
    public var exactMatch: Double
    /// Mean over questions of the best token F1 against a gold answer, as a percentage.
    public var f1: Double
    /// The number of questions scored.
    public var count: Int

    enum CodingKeys: String, CodingKey {
        case exactMatch = "exact_match", f1, count
    }

    /// Scores `predicted` against `gold` (one list of gold answer texts per question; an empty list
    /// means no answer, which only "" matches, as SQuAD v2.0 scores it).
    public init(predicted: [String], gold: [[String]]) {
        precondition(predicted.count == gold.count, "QuestionAnsweringMetrics: \(predicted.count) predictions for \(gold.count) questions")
        var em = 0.0, f1 = 0.0
        for (p, answers) in zip(predicted, gold) {
            let golds = answers.isEmpty ? [""] : answers
            em += golds.map { Self.exactMatch(p, $0) }.max() ?? 0
            f1 += golds.map { Self.f1(p, $0, emptyMatchesEmpty: answers.isEmpty) }.max() ?? 0
        }
        let n = Double(max(predicted.count, 1))
        exactMatch = 100 * em / n
        self.f1 = 100 * f1 / n
        count = predicted.count
    }

    /// 1 when the normalized texts are equal, else 0.
    public static func exactMatch(_ prediction: String, _ gold: String) -> Double {
        normalize(prediction) == normalize(gold) ? 1 : 0
    }

    /// The F1 of the normalized texts' tokens (a multiset intersection). With
    /// `emptyMatchesEmpty` (SQuAD v2.0's rule), two empty texts score 1.
    public static func f1(_ prediction: String, _ gold: String, emptyMatchesEmpty: Bool = false) -> Double {
        let p = normalize(prediction).split(separator: " "), g = normalize(gold).split(separator: " ")
        if emptyMatchesEmpty && (p.isEmpty || g.isEmpty) { return p.isEmpty && g.isEmpty ? 1 : 0 }
        var counts: [Substring: Int] = [:]
        for token in g { counts[token, default: 0] += 1 }
        var common = 0
        for token in p where (counts[token] ?? 0) > 0 {
            counts[token]! -= 1
            common += 1
        }
        guard common > 0 else { return 0 }
        let precision = Double(common) / Double(p.count), recall = Double(common) / Double(g.count)
        return 2 * precision * recall / (precision + recall)
    }

    /// `normalize_answer`: lower case, remove ASCII punctuation, remove the words `a`, `an`, `the`
    /// (as `\b(a|an|the)\b`), collapse white space.
    public static func normalize(_ text: String) -> String {
        let punctuation = Set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
        let chars = Array(text.lowercased().filter { !punctuation.contains($0) })
        func isWord(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" }
        var out: [Character] = []
        var i = 0
        while i < chars.count {
            if i == 0 || !isWord(chars[i - 1]) {
                var matched = 0
                for article in ["a", "an", "the"] {
                    let a = Array(article)
                    if i + a.count <= chars.count, Array(chars[i..<(i + a.count)]) == a,
                       i + a.count == chars.count || !isWord(chars[i + a.count]) {
                        matched = a.count
                        break
                    }
                }
                if matched > 0 {
                    out.append(" ")
                    i += matched
                    continue
                }
            }
            out.append(chars[i])
            i += 1
        }
        return String(out).split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }
}
