@testable import Checkpoints   // ZipArchive (internal) reads the deflated sample
import Foundation
import TestSupport

/// `Fixtures/parity-sample.zip`, written by scripts/fixtures/sample_fixtures.py: texts from SST-2 and UD English
/// EWT and what Hugging Face `tokenizers` makes of them, one JSON line per text in each entry.
struct ParitySample: Sendable {
    struct Source: Decodable, Sendable {
        var file: String
        var line: Int
        var text: String
    }

    struct Expected: Decodable, Equatable {
        var ids: [Int32]
        /// start, end of each token, flattened.
        var offsets: [Int]
        /// -1 for tokens of no word.
        var words: [Int]
    }

    let archive: ZipArchive
    let texts: [Source]

    static let url = TestLocations.fixtures.appendingPathComponent("parity-sample.zip")

    private static let cache = Result { try ParitySample(url: url) }

    /// The sample, read once per test process.
    static func shared() throws -> ParitySample { try cache.get() }

    init(url: URL) throws {
        archive = try ZipArchive(url: url)
        texts = try Self.lines(archive, "texts.jsonl", as: Source.self)
    }

    /// The expected encodings of entry `name`.jsonl, in the order of `texts`.
    func encodings(_ name: String) throws -> [Expected] {
        try Self.lines(archive, "\(name).jsonl", as: Expected.self)
    }

    private static func lines<T: Decodable>(_ archive: ZipArchive, _ name: String, as: T.Type) throws -> [T] {
        guard let entry = archive.entry(name) else { throw MissingTestInput("\(url.lastPathComponent) has no entry \(name)") }
        let bytes = try archive.bytes(of: entry)
        let decoder = JSONDecoder()
        return try bytes.split(separator: UInt8(ascii: "\n")).map { try decoder.decode(T.self, from: Data($0)) }
    }
}
