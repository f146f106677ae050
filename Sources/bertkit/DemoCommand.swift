import ArgumentParser
import BertKit
import Foundation

/// The README's main job.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Embed a few sentences with the demo model and show each one's nearest neighbour."
    )

    @OptionGroup var model: ModelOptions
    @OptionGroup var compute: ComputeOptions

    func run() throws {
        try compute.apply()
        let sentences = [
            "A man is eating food.", "A man is riding a horse.", "The new movie is awesome.",
            "Someone is having a meal.", "A person rides a horse on a beach.", "The film was really great.",
            "The stock market fell sharply today.", "Share prices dropped in early trading.",
        ]
        let start = Date()
        let embedder = try SentenceEmbedder(model: model.model, revision: model.revision)
        let vectors = try embedder.embed(sentences)
        print("Embedded \(sentences.count) sentences with \(model.model) (\(vectors[0].count) dimensions, "
              + "\(embedder.pooling.rawValue) pooling\(embedder.normalize ? ", normalised" : "")) in "
              + String(format: "%.2f s", Date().timeIntervalSince(start)) + ".\n")
        print("Nearest neighbour by cosine similarity:")
        for (i, v) in vectors.enumerated() {
            let scored = vectors.enumerated().filter { $0.offset != i }.map { ($0.offset, cosine(v, $0.element)) }
            let best = scored.max { $0.1 < $1.1 }!
            print("  " + sentences[i].padding(toLength: 40, withPad: " ", startingAt: 0) + "→ "
                  + sentences[best.0].padding(toLength: 40, withPad: " ", startingAt: 0) + String(format: "%.3f", best.1))
        }
    }
}

func cosine(_ a: [Float], _ b: [Float]) -> Float {
    var dot: Float = 0, na: Float = 0, nb: Float = 0
    for (x, y) in zip(a, b) { dot += x * y; na += x * x; nb += y * y }
    return dot / max((na * nb).squareRoot(), 1e-12)
}
