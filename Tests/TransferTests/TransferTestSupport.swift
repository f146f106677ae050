import BertKit
import Foundation
import TestSupport
import XCTest

/// A tiny pretrained BERT (the Models fixture) with a matching 99-token WordPiece vocabulary, and
/// a small synthetic sentiment task it can learn.
enum TinyTask {
    static let modelFolder = TestPaths.packageRoot.appending(path: "Tests/ModelsTests/Fixtures/tiny-bert")

    static let words = ["good", "great", "fine", "love", "nice", "bad", "awful", "poor", "hate", "dull",
                        "the", "film", "food", "was", "is", "a", "very", "not", "really", "service"]

    /// A folder with the tiny model's files and a vocab.txt of 99 tokens.
    static func folder() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appending(path: "bertkit-tiny-\(ProcessInfo.processInfo.processIdentifier)")
        if FileManager.default.fileExists(atPath: dir.appending(path: "vocab.txt").path) { return dir }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for name in ["config.json", "model.safetensors"] {
            try? FileManager.default.removeItem(at: dir.appending(path: name))
            try FileManager.default.copyItem(at: modelFolder.appending(path: name), to: dir.appending(path: name))
        }
        var vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + words
        vocab += (0..<(99 - vocab.count)).map { "w\($0)" }
        try (vocab.joined(separator: "\n") + "\n").write(to: dir.appending(path: "vocab.txt"), atomically: false, encoding: .utf8)
        return dir
    }

    /// Sentences labelled by which kind of word they hold.
    static func dataset(count: Int, seed: UInt64) -> ClassificationDataset {
        var g = SeededGenerator(seed: seed)
        let positive = Array(words[0..<5]), negative = Array(words[5..<10]), filler = Array(words[10...])
        let examples = (0..<count).map { i -> ClassificationExample in
            let good = i % 2 == 0
            var text = (0..<3).map { _ in filler[Int(g.next() % UInt64(filler.count))] }
            text.insert((good ? positive : negative)[Int(g.next() % 5)], at: Int(g.next() % 4))
            return ClassificationExample(text: text.joined(separator: " "), label: good ? "positive" : "negative", line: i + 2)
        }
        return ClassificationDataset(examples: examples)
    }
}
