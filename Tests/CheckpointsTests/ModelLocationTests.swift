import Foundation
import XCTest
@testable import Checkpoints

final class ModelLocationTests: XCTestCase {
    /// A fake hub cache holding `org/model` at two snapshots, `main` pointing at the first.
    func makeCache(_ folder: TemporaryFolder, hub: String = "hub") throws -> URL {
        let repo = "\(hub)/models--org--model"
        try folder.write("\(repo)/refs/main", "abc123\n")
        try folder.write("\(repo)/refs/v2", "def456")
        try folder.write("\(repo)/snapshots/abc123/config.json", "{}")
        try folder.write("\(repo)/snapshots/def456/config.json", "{}")
        try folder.write("\(repo)/snapshots/0123cafe/config.json", "{}")
        return folder.url.appending(path: hub)
    }

    func testResolvesThroughRefsAndSnapshots() throws {
        let folder = try TemporaryFolder()
        let hub = try makeCache(folder)
        let environment = ["HF_HUB_CACHE": hub.path, "HOME": "/nonexistent"]
        let cases: [(revision: String?, snapshot: String)] = [(nil, "abc123"), ("main", "abc123"), ("v2", "def456"), ("0123cafe", "0123cafe")]
        for (revision, snapshot) in cases {
            let url = try ModelLocation.resolve("org/model", revision: revision, environment: environment)
            XCTAssertEqual(url.standardizedFileURL.path, hub.appending(path: "models--org--model/snapshots/\(snapshot)").standardizedFileURL.path)
            XCTAssert(FileManager.default.fileExists(atPath: url.appending(path: "config.json").path))
        }
    }

    func testCacheLocationFollowsTheEnvironment() throws {
        let folder = try TemporaryFolder()
        _ = try makeCache(folder, hub: "home/.cache/huggingface/hub")
        _ = try makeCache(folder, hub: "hfhome/hub")
        _ = try makeCache(folder, hub: "xdg/huggingface/hub")
        let root = folder.url.path
        let cases: [(environment: [String: String], expected: String)] = [
            (["HOME": "\(root)/home"], "home/.cache/huggingface/hub"),
            (["HOME": "\(root)/home", "HF_HOME": ""], "home/.cache/huggingface/hub"),
            (["HOME": "\(root)/home", "XDG_CACHE_HOME": "\(root)/xdg"], "xdg/huggingface/hub"),
            (["HOME": "\(root)/home", "XDG_CACHE_HOME": "\(root)/xdg", "HF_HOME": "\(root)/hfhome"], "hfhome/hub"),
            (["HOME": "\(root)/home", "HF_HOME": "\(root)/hfhome", "HF_HUB_CACHE": "\(root)/xdg/huggingface/hub"],
             "xdg/huggingface/hub"),
        ]
        for (environment, expected) in cases {
            let url = try ModelLocation.resolve("org/model", environment: environment)
            XCTAssert(url.path.hasPrefix(folder.url.appending(path: expected).path), "\(environment): \(url.path)")
        }
    }

    func testExistingFolderIsUsedAsIs() throws {
        let folder = try TemporaryFolder()
        let model = try folder.makeFolder("my model")
        XCTAssertEqual(try ModelLocation.resolve(model.path, environment: [:]).path, model.path)
        let home = try ModelLocation.resolve("~/my model", environment: ["HOME": folder.url.path])
        XCTAssertEqual(home.standardizedFileURL.path, model.standardizedFileURL.path)
    }

    func testMissingModelListsEveryPlaceLooked() throws {
        let folder = try TemporaryFolder()
        let hub = try makeCache(folder)
        let environment = ["HF_HUB_CACHE": hub.path]
        let error = expectError { () throws(CheckpointError) in
            try ModelLocation.resolve("sentence-transformers/all-MiniLM-L6-v2", environment: environment)
        }
        guard case .modelNotFound(let id, let searched, let help)? = error?.reason else {
            return XCTFail("expected modelNotFound, got \(String(describing: error))")
        }
        XCTAssertEqual(id, "sentence-transformers/all-MiniLM-L6-v2")
        let repo = hub.appending(path: "models--sentence-transformers--all-MiniLM-L6-v2").path
        assertMentions(searched.joined(separator: "\n"), [
            "sentence-transformers/all-MiniLM-L6-v2 (no such local folder)",
            "\(repo)/refs/main", "\(repo)/snapshots/main",
        ])
        assertMentions(help, ["huggingface-cli download sentence-transformers/all-MiniLM-L6-v2", hub.path, "chosen by HF_HUB_CACHE", "local folder"])
        assertMentions(error!.description, ["Looked in:", "huggingface-cli download"])
    }

    func testMissingRevisionListsTheAvailableOnes() throws {
        let folder = try TemporaryFolder()
        let hub = try makeCache(folder)
        let error = expectError { () throws(CheckpointError) in
            try ModelLocation.resolve("org/model", revision: "v3", environment: ["HF_HUB_CACHE": hub.path])
        }
        assertMentions(error?.description ?? "", ["refs/v3", "ref main", "ref v2", "snapshot abc123", "snapshot 0123cafe"])
    }

    func testRefToMissingSnapshotIsExplained() throws {
        let folder = try TemporaryFolder()
        let hub = try makeCache(folder)
        try folder.write("hub/models--org--model/refs/broken", "gone")
        let error = expectError { () throws(CheckpointError) in
            try ModelLocation.resolve("org/model", revision: "broken", environment: ["HF_HUB_CACHE": hub.path])
        }
        assertMentions(error?.description ?? "", ["names snapshot \"gone\"", "snapshots/gone is missing"])
    }

    func testRepositoryFolderNames() {
        XCTAssertEqual(ModelLocation.repositoryFolderName(for: "bert-base-uncased"), "models--bert-base-uncased")
        XCTAssertEqual(ModelLocation.repositoryFolderName(for: "org/name"), "models--org--name")
        for notAnID in ["", "a/b/c", "../x", "org/", "/abs", "~/x", "org/.."] {
            XCTAssertNil(ModelLocation.repositoryFolderName(for: notAnID), notAnID)
        }
    }
}
