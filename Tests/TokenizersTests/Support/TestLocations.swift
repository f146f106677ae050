import Foundation
import TestSupport
import XCTest

/// Where the tests find their data: fixtures beside the tests, the demo model in the Hugging Face cache (which
/// scripts/test installs; missing, the test fails), the full shared data beside the package (opt-in, see
/// `TestPaths.optInSharedData`).
enum TestLocations {
    /// The package root, found from this file's path (Tests/TokenizersTests/Support/).
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Tests/TokenizersTests/Fixtures.
    static let fixtures = packageRoot.appendingPathComponent("Tests/TokenizersTests/Fixtures")

    /// The snapshot folder of sentence-transformers/all-MiniLM-L6-v2, or an error that fails the test.
    static func demoModel() throws -> URL {
        let snapshot = try TestPaths.demoModel()
        guard FileManager.default.fileExists(atPath: snapshot.appendingPathComponent("tokenizer.json").path) else {
            throw MissingTestInput("demo model snapshot has no tokenizer.json: \(snapshot.path)")
        }
        return snapshot
    }
}
