import Foundation
import XCTest
@testable import Checkpoints

/// Truncated, corrupt and lying PyTorch checkpoints: each gives a typed error naming the file (and
/// the tensor, when there is one), never a crash.
final class PyTorchErrorTests: XCTestCase {
    func fixtureBytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: PyTorchFixtures.url(name)))
    }

    /// Opens `bytes` as a file and reads every tensor.
    func openAndReadAll(_ bytes: [UInt8], in folder: TemporaryFolder, name: String = "pytorch_model.bin") throws {
        let file = try PyTorchFile(url: folder.write(name, Data(bytes)))
        for key in file.keys {
            if file.info(key)!.dtype.isReadableAsFloat { _ = try file.floats(key) } else { _ = try file.int64s(key) }
        }
    }

    func testTruncatedFilesAreReported() throws {
        let bytes = try fixtureBytes("tiny-bert/pytorch_model.bin")
        let folder = try TemporaryFolder()
        var cuts = [0, 1, 4, 21, 22, 100, bytes.count - 1, bytes.count - 21, bytes.count - 22, bytes.count - 23, bytes.count - 98]
        cuts += stride(from: 1000, to: bytes.count, by: bytes.count / 25)
        for cut in cuts {
            let error = expectCheckpointError { try openAndReadAll(Array(bytes.prefix(cut)), in: folder) }
            guard let error else { XCTFail("cut at \(cut)"); continue }
            XCTAssertEqual(error.file?.lastPathComponent, "pytorch_model.bin", "cut at \(cut)")
            if cut >= 4 {
                guard case .truncated(let text) = error.reason else { XCTFail("cut at \(cut): \(error)"); continue }
                assertMentions(text, ["no end-of-central-directory record"])
            }
        }
    }

    func testTruncatedLegacyFilesAreReported() throws {
        let bytes = try fixtureBytes("views-legacy.bin")
        let folder = try TemporaryFolder()
        for cut in stride(from: LegacyTorchFormat.magic.count, to: bytes.count, by: 7) {
            let error = expectCheckpointError { try openAndReadAll(Array(bytes.prefix(cut)), in: folder) }
            XCTAssertEqual(error?.file?.lastPathComponent, "pytorch_model.bin", "cut at \(cut)")
        }
        XCTAssertNoThrow(try openAndReadAll(bytes, in: folder))
    }

    func testOtherFormatsAreNamed() throws {
        let folder = try TemporaryFolder()
        var tar = [UInt8](repeating: 0, count: 1024)
        tar.replaceSubrange(257..<262, with: Array("ustar".utf8))
        let tarError = expectCheckpointError { try openAndReadAll(tar, in: folder) }
        assertMentions(tarError?.description ?? "", ["tar archive", "before 0.4", "save_file"])
        let pickle = expectCheckpointError { try openAndReadAll([0x80, 0x02, 0x4E, 0x2E], in: folder) }
        assertMentions(pickle?.description ?? "", ["bare pickle without torch's magic number"])
        let empty = expectCheckpointError { try openAndReadAll([], in: folder) }
        XCTAssertEqual(empty?.reason, .truncated("the file is empty"))
    }

    func testNotAZipArchive() throws {
        let folder = try TemporaryFolder()
        let error = expectCheckpointError {
            try openAndReadAll(Array("this is plain text, long enough to hold an end record".utf8), in: folder)
        }
        assertMentions(error?.description ?? "", ["not a zip archive"])
        let safetensors = [UInt8](try Data(contentsOf: PyTorchFixtures.tinyBertSafetensors))
        let mistaken = expectCheckpointError { try openAndReadAll(safetensors, in: folder) }
        assertMentions(mistaken?.description ?? "", ["not a zip archive"])
    }

    /// Offsets of the records of a zip archive written by torch.save.
    struct Layout {
        var centralEntries: [Int] = []
        var eocd = 0
        var zip64End: Int?

        init(_ bytes: [UInt8]) {
            func signature(at i: Int) -> UInt32 {
                UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24
            }
            for i in 0..<(bytes.count - 3) {
                switch signature(at: i) {
                case 0x0201_4B50: centralEntries.append(i)
                case 0x0605_4B50: eocd = i
                case 0x0606_4B50: zip64End = i
                default: break
                }
            }
        }
    }

    func put32(_ value: UInt32, at offset: Int, in bytes: inout [UInt8]) {
        for i in 0..<4 { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(i))) }
    }

    func put64(_ value: UInt64, at offset: Int, in bytes: inout [UInt8]) {
        for i in 0..<8 { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(i))) }
    }

    func testCorruptDirectoriesAreReported() throws {
        let original = try fixtureBytes("tiny-bert/pytorch_model.bin")
        let layout = Layout(original)
        XCTAssertEqual(layout.centralEntries.count, 45)
        let zip64 = try XCTUnwrap(layout.zip64End, "torch.save writes a ZIP64 end record")
        let firstStorage = layout.centralEntries[4]  // data.pkl, .format_version, .storage_alignment, byteorder, data/0
        let archive = try ZipArchive(url: PyTorchFixtures.url("tiny-bert/pytorch_model.bin"))
        let pickleStart = try XCTUnwrap(archive.entry("pytorch_model/data.pkl")).dataRange.lowerBound

        let cases: [(name: String, edit: (inout [UInt8]) -> Void, mentions: [String])] = [
            ("central entry signature", { self.put32(0x1234_5678, at: layout.centralEntries[3], in: &$0) },
             ["corrupt zip archive", "no central directory entry signature"]),
            ("local header offset past the end", { self.put32(0x7FFF_FFFF, at: firstStorage + 42, in: &$0) },
             ["local header of entry \"pytorch_model/data/0\"", "past the end of the file"]),
            ("local header offset to the wrong place", { self.put32(1, at: firstStorage + 42, in: &$0) },
             ["no local header signature at offset 1"]),
            ("entry size past the end", { self.put32(0x7FFF_0000, at: firstStorage + 20, in: &$0); self.put32(0x7FFF_0000, at: firstStorage + 24, in: &$0) },
             ["entry \"pytorch_model/data/0\" needs 2147418112 bytes"]),
            ("stored sizes that disagree", { self.put32(4, at: firstStorage + 20, in: &$0) },
             ["stored entry \"pytorch_model/data/0\" has compressed size 4"]),
            ("storage shorter than its tensor", { self.put32(4, at: firstStorage + 20, in: &$0); self.put32(4, at: firstStorage + 24, in: &$0) },
             ["key \"embeddings.word_embeddings.weight\"", "needs 12672 bytes, but pytorch_model/data/0 has 4"]),
            ("name length past the directory", { $0[layout.centralEntries[44] + 28] = 0xFF; $0[layout.centralEntries[44] + 29] = 0xFF },
             ["runs past the directory's end"]),
            ("entry count too large", { self.put64(1 << 40, at: zip64 + 32, in: &$0) },
             ["1099511627776 entries cannot fit"]),
            ("directory offset overflowing", { self.put64(UInt64.max - 10, at: zip64 + 48, in: &$0) },
             ["is too large"]),
            ("directory past the end record", { self.put64(UInt64(zip64), at: zip64 + 48, in: &$0) },
             ["ends past the ZIP64 end record"]),
            ("ZIP64 locator pointing nowhere", { self.put64(3, at: layout.eocd - 20 + 8, in: &$0) },
             ["no ZIP64 end record at offset 3"]),
            ("multi-disk", { $0[layout.eocd + 4] = 1 }, ["multi-disk"]),
            ("encrypted entry", { $0[layout.centralEntries[0] + 8] |= 1 }, ["\"pytorch_model/data.pkl\" is encrypted"]),
            ("unknown compression", { $0[layout.centralEntries[0] + 10] = 14 }, ["compression method 14"]),
            ("central and local names disagree", { $0[layout.centralEntries[5] + 46 + "pytorch_model/data/".count] = UInt8(ascii: "0") },
             ["the local header at offset", "names \"pytorch_model/data/1\", but the central directory says \"pytorch_model/data/0\""]),
            ("data.pkl bit flip", { $0[pickleStart + 100] ^= 0x01 }, ["\"pytorch_model/data.pkl\" has CRC-32"]),
        ]
        let folder = try TemporaryFolder()
        for test in cases {
            var bytes = original
            test.edit(&bytes)
            let error = expectCheckpointError { try openAndReadAll(bytes, in: folder) }
            guard let error else { XCTFail(test.name); continue }
            XCTAssertEqual(error.file?.lastPathComponent, "pytorch_model.bin", test.name)
            assertMentions(error.description, test.mentions)
        }
    }

    func testStorageBitRotIsFoundByVerify() throws {
        var bytes = try fixtureBytes("tiny-bert/pytorch_model.bin")
        let folder = try TemporaryFolder()
        let clean = try PyTorchFile(url: folder.write("clean.bin", Data(bytes)))
        let info = try XCTUnwrap(clean.info("embeddings.word_embeddings.weight"))
        XCTAssertNoThrow(try clean.verifyChecksums())
        // Flip a bit inside the first storage: opening (which checks only data.pkl) succeeds.
        let values = try clean.floats(info.name)
        let storage = try XCTUnwrap(ZipArchive(url: PyTorchFixtures.url("tiny-bert/pytorch_model.bin")).entry("pytorch_model/data/0"))
        bytes[storage.dataRange.lowerBound + 4 * 40 + 3] ^= 0x01  // element 40's exponent
        let rotten = try PyTorchFile(url: folder.write("rotten.bin", Data(bytes)))
        XCTAssertNotEqual(try rotten.floats(info.name)[40], values[40])
        let error = expectError { () throws(CheckpointError) in try rotten.verifyChecksums() }
        assertMentions(error?.description ?? "", ["rotten.bin", "\"pytorch_model/data/0\" has CRC-32"])
    }

    /// Hand-made archives whose tensors lie about their storage.
    func testTensorLayoutErrorsNameTheTensor() throws {
        let four = floatBytes([1, 2, 3, 4])
        let cases: [(name: String, pickle: [UInt8], records: [String: [UInt8]], mentions: [String])] = [
            ("stride reaching past the storage",
             PickleBuilder.stateDict { $0.tensor(numel: 4, size: [2, 2], stride: [3, 1]) }, ["0": four],
             ["reach past the end of its storage", "(4 elements of F32)"]),
            ("offset past the storage",
             PickleBuilder.stateDict { $0.tensor(numel: 4, offset: 3, size: [2], stride: [1]) }, ["0": four],
             ["offset 3, size [2] and stride [1] reach past"]),
            ("negative stride",
             PickleBuilder.stateDict { $0.tensor(numel: 4, size: [2], stride: [-1]) }, ["0": four], ["negative step"]),
            ("negative size",
             PickleBuilder.stateDict { $0.tensor(numel: 4, size: [-2], stride: [1]) }, ["0": four], ["negative dimension"]),
            ("negative offset",
             PickleBuilder.stateDict { $0.tensor(numel: 4, offset: -1, size: [1], stride: [1]) }, ["0": four], ["offset -1 is negative"]),
            ("size and stride of different lengths",
             PickleBuilder.stateDict { $0.tensor(numel: 4, size: [2, 2], stride: [1]) }, ["0": four], ["different lengths"]),
            ("huge sizes",
             PickleBuilder.stateDict { $0.tensor(numel: 4, size: [Int(Int32.max), Int(Int32.max), Int(Int32.max)], stride: [0, 0, 0]) },
             ["0": four], ["more elements than can be addressed"]),
            ("a repeated view too large to read",
             PickleBuilder.stateDict { $0.tensor(numel: 4, size: [1 << 13, 1 << 13], stride: [0, 0]) }, ["0": four],
             ["repeats the 4 elements of its storage into 67108864; at most 16777216 are read"]),
            ("huge strides",
             PickleBuilder.stateDict { $0.tensor(numel: 4, size: [2, 2, 2], stride: [Int(Int32.max), Int(Int32.max), 1]) },
             ["0": four], ["reach past the end"]),
            ("storage record missing",
             PickleBuilder.stateDict { $0.tensor(key: "7", numel: 4, size: [4], stride: [1]) }, ["0": four],
             ["its storage \"7\" is missing from the file"]),
            ("storage of another size",
             PickleBuilder.stateDict { $0.tensor(numel: 8, size: [4], stride: [1]) }, ["0": four],
             ["torch.FloatStorage of 8 elements needs 32 bytes, but archive/data/0 has 16"]),
            ("complex storage",
             PickleBuilder.stateDict { $0.tensor(storageType: "ComplexFloatStorage", numel: 2, size: [2], stride: [1]) }, ["0": four],
             ["torch.ComplexFloatStorage, which this package cannot read"]),
            ("no tensors at all",
             PickleBuilder.stateDict { $0.int(3) }, [:], ["holds a dict of 1 entries but no tensors", "\"w\""]),
        ]
        let folder = try TemporaryFolder()
        for test in cases {
            let url = try folder.write("case.bin", torchZip(pickle: test.pickle, records: test.records))
            let error = expectError { () throws(CheckpointError) in try PyTorchFile(url: url) }
            guard let error else { XCTFail(test.name); continue }
            XCTAssertEqual(error.file, url, test.name)
            if test.name != "no tensors at all" { XCTAssertEqual(error.key, "w", test.name) }
            assertMentions(error.description, test.mentions)
        }
    }

    func testHandMadeArchivesWithoutZip64AreRead() throws {
        // A plain zip writer's archive: no ZIP64 record, no data descriptors, no alignment.
        let pickle = PickleBuilder.stateDict { $0.tensor(numel: 4, offset: 1, size: [3], stride: [1]) }
        let folder = try TemporaryFolder()
        let file = try PyTorchFile(url: folder.write("plain.bin", torchZip(pickle: pickle, records: ["0": floatBytes([1, 2, 3, 4])])))
        XCTAssertEqual(try file.floats("w"), [2, 3, 4])
        XCTAssertEqual(file.info("w")?.dataOffsets, 4..<16)

        let bigEndian = torchZip(pickle: pickle, records: ["0": floatBytes([1, 2, 3, 4])], byteorder: "big")
        let error = expectCheckpointError { _ = try PyTorchFile(url: folder.write("big.bin", bigEndian)) }
        assertMentions(error?.description ?? "", ["archive/byteorder says \"big\"", "only little-endian"])

        let twice = storedZip([("archive/data.pkl", pickle), ("archive/data.pkl", pickle)])
        let duplicate = expectCheckpointError { _ = try PyTorchFile(url: folder.write("twice.bin", twice)) }
        assertMentions(duplicate?.description ?? "", ["entry \"archive/data.pkl\" appears twice"])

        let noPickle = storedZip([("archive/data/0", floatBytes([1]))])
        let missing = expectCheckpointError { _ = try PyTorchFile(url: folder.write("nopickle.bin", noPickle)) }
        assertMentions(missing?.description ?? "", ["no <folder>/data.pkl", "\"archive/data/0\""])
    }

    /// Random single-byte corruptions of a small checkpoint: each opens and reads, or throws a
    /// CheckpointError; none traps (in a debug build, an out-of-bounds read would).
    func testRandomCorruptionNeverCrashes() throws {
        for name in ["views.bin", "views-deflated.bin", "views-legacy.bin"] {
            let original = try fixtureBytes(name)
            let folder = try TemporaryFolder()
            var generator = SplitMix64(seed: 42)
            var failures = 0
            for _ in 0..<300 {
                var bytes = original
                let position = Int(generator.next() % UInt64(bytes.count))
                bytes[position] = UInt8(truncatingIfNeeded: generator.next())
                do {
                    try openAndReadAll(bytes, in: folder)
                } catch is CheckpointError {
                    failures += 1
                }
            }
            XCTAssertGreaterThan(failures, 0, name)
        }
    }
}

/// A small deterministic random number generator for reproducible corruption.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
