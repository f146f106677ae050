import Foundation
import XCTest

/// Where the tests find their data: fixtures beside the tests, the shared data beside the package, the demo
/// model in the Hugging Face cache. Missing data skips a test; it never fails it.
enum TestLocations {
    /// The package root, found from this file's path (Tests/TokenizersTests/Support/).
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Tests/TokenizersTests/Fixtures.
    static let fixtures = packageRoot.appendingPathComponent("Tests/TokenizersTests/Fixtures")

    /// `../shared/data` beside the package root, or a skip.
    static func sharedData() throws -> URL {
        let url = packageRoot.deletingLastPathComponent().appendingPathComponent("shared/data")
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw XCTSkip("shared data not found at ../shared/data beside the package")
        }
        return url
    }

    /// The Hugging Face hub cache: $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub.
    static var hubCache: URL {
        let env = ProcessInfo.processInfo.environment
        if let hub = env["HF_HUB_CACHE"], !hub.isEmpty { return URL(fileURLWithPath: hub) }
        if let home = env["HF_HOME"], !home.isEmpty { return URL(fileURLWithPath: home).appendingPathComponent("hub") }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/huggingface/hub")
    }

    /// The snapshot folder of sentence-transformers/all-MiniLM-L6-v2 named by `refs/main`, or a skip.
    static func demoModel() throws -> URL {
        let repo = hubCache.appendingPathComponent("models--sentence-transformers--all-MiniLM-L6-v2")
        guard let ref = try? String(contentsOf: repo.appendingPathComponent("refs/main"), encoding: .utf8) else {
            throw XCTSkip("demo model not in the Hugging Face cache (\(repo.path)); run scripts/bootstrap")
        }
        let snapshot = repo.appendingPathComponent("snapshots").appendingPathComponent(
            ref.trimmingCharacters(in: .whitespacesAndNewlines))
        guard FileManager.default.fileExists(atPath: snapshot.appendingPathComponent("tokenizer.json").path) else {
            throw XCTSkip("demo model snapshot has no tokenizer.json: \(snapshot.path)")
        }
        return snapshot
    }
}
