import Foundation
import XCTest
@testable import Checkpoints

final class AtomicFileTests: XCTestCase {
    func contents(_ folder: TemporaryFolder, _ sub: String = "") throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder.url.appending(path: sub).path).sorted()
    }

    func testWritesReplacesAndLeavesNoTemporaryFile() throws {
        let folder = try TemporaryFolder()
        let url = folder.url.appending(path: "out/nested/file.txt")  // missing folders are created
        try AtomicFile.write(Data("first".utf8), to: url)
        try AtomicFile.write(Data("second".utf8), to: url)
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), "second")
        XCTAssertEqual(try contents(folder, "out/nested"), ["file.txt"])
    }

    struct BodyFailure: Error, Equatable {}

    func testFailureKeepsTheOldFileAndPassesTheBodysErrorOn() throws {
        let folder = try TemporaryFolder()
        let url = folder.url.appending(path: "file.txt")
        try AtomicFile.write(Data("old".utf8), to: url)
        XCTAssertThrowsError(try AtomicFile.write(to: url) { writer in
            try writer.write("half of the new")
            throw BodyFailure()
        }) { error in
            XCTAssertEqual(error as? BodyFailure, BodyFailure())
        }
        XCTAssertEqual(try String(contentsOf: url, encoding: .utf8), "old")
        XCTAssertEqual(try contents(folder), ["file.txt"], "the temporary file is removed")

        try AtomicFile.write(to: url) { writer in
            try writer.write("new, ")
            try writer.write(littleEndian: [1.5])
            XCTAssertEqual(writer.byteCount, 9)
        }
        XCTAssertEqual([UInt8](try Data(contentsOf: url)), Array("new, ".utf8) + floatBytes([1.5]))
    }

    func testLeftoversAreTheTemporaryFilesOfInterruptedWrites() throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "bertkit-leftovers-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let leftover = ".model.safetensors.\(UUID().uuidString).tmp"
        for name in [leftover, "model.safetensors", ".hidden.tmp", "notes.tmp", ".a.b.tmp"] {
            try Data("x".utf8).write(to: folder.appending(path: name))
        }
        try AtomicFile.write(Data("y".utf8), to: folder.appending(path: "config.json"))
        XCTAssertEqual(AtomicFile.leftovers(in: folder), [leftover])
        XCTAssertEqual(AtomicFile.leftovers(in: folder.appending(path: "missing")), [])
    }

    /// A write removes what killed writes to the same file left (`.NAME.UUID.tmp`), and only that.
    func testWriteRemovesTheLeftoversOfItsDestination() throws {
        let folder = FileManager.default.temporaryDirectory.appending(path: "bertkit-leftovers-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let mine = [".out.jsonl.\(UUID().uuidString).tmp", ".out.jsonl.\(UUID().uuidString).tmp"]
        let other = ".model.safetensors.\(UUID().uuidString).tmp"
        for name in mine + [other, ".out.jsonl.notes.tmp"] { try Data("x".utf8).write(to: folder.appending(path: name)) }
        XCTAssertEqual(AtomicFile.leftovers(in: folder, of: "out.jsonl"), mine.sorted())
        try AtomicFile.write(Data("y".utf8), to: folder.appending(path: "out.jsonl"))
        XCTAssertEqual(AtomicFile.leftovers(in: folder), [other])
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appending(path: ".out.jsonl.notes.tmp").path))
    }

    func testUnwritableDestinationIsATypedError() throws {
        let folder = try TemporaryFolder()
        let blocker = try folder.write("blocker", "a file, not a folder")
        let error = expectError { () throws(CheckpointError) in
            try AtomicFile.write(Data("x".utf8), to: blocker.appending(path: "inside.txt"))
        }
        XCTAssertNotNil(error?.file)
    }
}
