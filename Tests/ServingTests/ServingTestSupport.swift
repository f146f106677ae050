import BertKit
import Foundation
import Hummingbird
import HummingbirdTesting
import Serving
import TestSupport
import XCTest

/// Tiny model folders for fast server tests: the Models tiny BERT (32 wide, 64 positions) with a
/// 99-token vocabulary, and a classifier saved from it the way `bertkit train` saves one.
enum ServingFixtures {
    static let words = ["good", "great", "fine", "love", "nice", "bad", "awful", "poor", "hate", "dull",
                        "the", "film", "food", "was", "is", "a", "very", "not", "really", "service"]
    static let root = FileManager.default.temporaryDirectory.appending(path: "bertkit-serving-\(ProcessInfo.processInfo.processIdentifier)")

    /// An embedding model folder (no sentence-transformers files: CLS pooling, not normalized).
    static func embedder() throws -> URL {
        let dir = root.appending(path: "tiny")
        if FileManager.default.fileExists(atPath: dir.appending(path: "vocab.txt").path) { return dir }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let source = TestPaths.packageRoot.appending(path: "Tests/ModelsTests/Fixtures/tiny-bert")
        for name in ["config.json", "model.safetensors"] {
            try? FileManager.default.removeItem(at: dir.appending(path: name))
            try FileManager.default.copyItem(at: source.appending(path: name), to: dir.appending(path: name))
        }
        var vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + words
        vocab += (0..<(99 - vocab.count)).map { "w\($0)" }
        try (vocab.joined(separator: "\n") + "\n").write(to: dir.appending(path: "vocab.txt"), atomically: true, encoding: .utf8)
        return dir
    }

    /// A classifier folder (labels negative, positive; max length 16), untrained but complete.
    static func classifier() throws -> URL {
        let dir = root.appending(path: "tiny-classifier")
        if FileManager.default.fileExists(atPath: dir.appending(path: TransferModel.settingsFileName).path) { return dir }
        let base = try embedder()
        let model = try TransferModel.pretrained(base.path, head: HeadSettings(task: .classification, labels: ["negative", "positive"]),
                                                 mode: .fineTuning, seed: 3)
        try model.save(to: dir, tokenizerFrom: base, maxLength: 16)
        return dir
    }

    static func server(_ folder: URL, settings: ServeSettings = ServeSettings()) throws -> EmbeddingServer {
        EmbeddingServer(model: try ServedModel(model: folder.path), settings: settings)
    }
}

extension TestClientProtocol {
    /// POSTs a JSON body.
    func post(_ uri: String, _ json: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        var fields = headers
        fields[.contentType] = "application/json"
        return try await execute(uri: uri, method: .post, headers: fields, body: ByteBuffer(string: json))
    }

    func get(_ uri: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await execute(uri: uri, method: .get, headers: headers)
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }
    var json: Any { (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) ?? NSNull() }
}

/// `data[i].embedding` of an OpenAI response, decoding base64 when it is a string.
func openAIVectors(_ response: TestResponse) -> [[Float]] {
    guard let object = response.json as? [String: Any], let data = object["data"] as? [[String: Any]] else { return [] }
    return data.map { item in
        if let floats = item["embedding"] as? [NSNumber] { return floats.map(\.floatValue) }
        guard let b64 = item["embedding"] as? String, let bytes = Data(base64Encoded: b64) else { return [] }
        let b = [UInt8](bytes)
        return stride(from: 0, to: b.count, by: 4).map { (i: Int) -> Float in
            var bits = UInt32(b[i])
            bits |= UInt32(b[i + 1]) << 8
            bits |= UInt32(b[i + 2]) << 16
            bits |= UInt32(b[i + 3]) << 24
            return Float(bitPattern: bits)
        }
    }
}

/// Polls `condition` every 5 ms until it holds. After `timeout` it throws, so a queue that never
/// reaches the state fails its test instead of hanging the suite.
func waitUntil(_ what: @autoclosure () -> String, timeout: Duration = .seconds(10), _ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        guard ContinuousClock.now < deadline else {
            struct TimedOut: Error, CustomStringConvertible { let description: String }
            throw TimedOut(description: "not within \(timeout): \(what())")
        }
        try await Task.sleep(for: .milliseconds(5))
    }
}
