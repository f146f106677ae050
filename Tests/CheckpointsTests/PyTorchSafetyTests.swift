import Foundation
import XCTest
@testable import Checkpoints

/// Malicious and hostile pickles: loading must refuse them by name, run nothing, and never crash.
final class PyTorchSafetyTests: XCTestCase {
    /// Checkpoints saved by torch.save whose pickle would run a shell command if unpickled by
    /// plain pickle; each would create its marker file.
    func testMaliciousCheckpointsAreRefusedByName() throws {
        let cases: [(file: String, global: String, marker: String)] = [
            ("malicious-os-system.bin", "os.system", "/tmp/bertkit-pwned-os-system"),
            ("malicious-posix-system.bin", "posix.system", "/tmp/bertkit-pwned-px-system"),
            ("malicious-eval.bin", "builtins.eval", "/tmp/bertkit-pwned-eval"),
            ("malicious-legacy.bin", "posix.system", "/tmp/bertkit-pwned-legacy"),
        ]
        for test in cases {
            try? FileManager.default.removeItem(atPath: test.marker)
            let url = PyTorchFixtures.url(test.file)
            for open in [{ _ = try PyTorchFile(url: url) }, { _ = try Checkpoint.open(url) }] as [() throws -> Void] {
                let error = expectCheckpointError(open)
                guard case .unsupportedCheckpoint(let text)? = error?.reason else {
                    XCTFail("\(test.file): \(String(describing: error))")
                    continue
                }
                XCTAssertEqual(error?.file, url, test.file)
                assertMentions(text, ["refusing to load global \(test.global) ", "only tensor-rebuilding globals"])
                assertMentions(error?.description ?? "", [url.path])
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: test.marker), "\(test.file) ran its payload")
        }
    }

    func testEvalMessageSaysHowTheGlobalWasWritten() throws {
        let error = expectCheckpointError { _ = try PyTorchFile(url: PyTorchFixtures.url("malicious-eval.bin")) }
        assertMentions(error?.description ?? "", ["builtins.eval (written __builtin__.eval)", "malicious-eval/data.pkl"])
    }

    struct Case {
        var name: String
        var pickle: [UInt8]
        var mentions: [String]
        var refusedGlobal = false
    }

    static func pickle(_ body: (inout PickleBuilder) -> Void) -> [UInt8] {
        var b = PickleBuilder()
        body(&b)
        return b.bytes
    }

    static let cases: [Case] = [
        Case(name: "GLOBAL os.system", pickle: pickle { $0.global("os", "system"); $0.op(.stop) },
             mentions: ["global os.system "], refusedGlobal: true),
        Case(name: "GLOBAL subprocess.Popen", pickle: pickle { $0.global("subprocess", "Popen"); $0.op(.stop) },
             mentions: ["global subprocess.Popen "], refusedGlobal: true),
        Case(name: "GLOBAL __builtin__.exec", pickle: pickle { $0.global("__builtin__", "exec"); $0.op(.stop) },
             mentions: ["global builtins.exec (written __builtin__.exec)"], refusedGlobal: true),
        Case(name: "GLOBAL builtins.getattr", pickle: pickle { $0.global("builtins", "getattr"); $0.op(.stop) },
             mentions: ["global builtins.getattr "], refusedGlobal: true),
        Case(name: "a torch function that is not a rebuild", pickle: pickle { $0.global("torch", "load"); $0.op(.stop) },
             mentions: ["global torch.load "], refusedGlobal: true),
        Case(name: "torch._utils beyond the rebuilds", pickle: pickle { $0.global("torch._utils", "_rebuild_qtensor"); $0.op(.stop) },
             mentions: ["global torch._utils._rebuild_qtensor "], refusedGlobal: true),
        Case(name: "STACK_GLOBAL posix.system",
             pickle: pickle { $0.string("posix"); $0.string("system"); $0.op(.stackGlobal); $0.op(.stop) },
             mentions: ["global posix.system "], refusedGlobal: true),
        Case(name: "INST names its class",
             pickle: pickle { $0.op(.mark); $0.op(.inst); $0.raw(Array("os\nsystem\n".utf8)); $0.op(.stop) },
             mentions: ["global os.system "], refusedGlobal: true),
        Case(name: "NEWOBJ", pickle: pickle { $0.global("collections", "OrderedDict"); $0.op(.emptyTuple); $0.op(.newObj); $0.op(.stop) },
             mentions: ["unsupported opcode NEWOBJ (0x81)", "at byte 28"]),
        Case(name: "PERSID", pickle: pickle { $0.op(.persID); $0.raw(Array("0\n".utf8)); $0.op(.stop) },
             mentions: ["unsupported opcode PERSID (0x50)"]),
        Case(name: "EXT1", pickle: pickle { $0.op(.ext1); $0.raw([1]); $0.op(.stop) }, mentions: ["EXT1 (0x82)"]),
        Case(name: "unknown byte", pickle: pickle { $0.raw([0xFF]) }, mentions: ["byte 0xff, which is not a pickle opcode"]),
        Case(name: "no STOP", pickle: pickle { $0.op(.none) }, mentions: ["ends without STOP"]),
        Case(name: "string past the end", pickle: pickle { $0.op(.binUnicode); $0.raw([0xFF, 0xFF, 0xFF, 0x7F, 0x61]) },
             mentions: ["runs past the end"]),
        Case(name: "BINUNICODE8 with a huge length", pickle: pickle { $0.op(.binUnicode8); $0.raw([UInt8](repeating: 0xFF, count: 8)) },
             mentions: ["runs past the end"]),
        Case(name: "invalid UTF-8", pickle: pickle { $0.op(.shortBinUnicode); $0.raw([1, 0xC3]); $0.op(.stop) },
             mentions: ["not valid UTF-8"]),
        Case(name: "stack underflow", pickle: pickle { $0.op(.tuple2); $0.op(.stop) }, mentions: ["stack is empty"]),
        Case(name: "pop across a mark", pickle: pickle { $0.op(.none); $0.op(.mark); $0.op(.tuple1); $0.op(.stop) },
             mentions: ["stack is empty"]),
        Case(name: "TUPLE without MARK", pickle: pickle { $0.op(.none); $0.op(.tuple); $0.op(.stop) }, mentions: ["no MARK"]),
        Case(name: "memo never stored", pickle: pickle { $0.op(.binGet); $0.raw([7]); $0.op(.stop) },
             mentions: ["memo entry 7 was never stored"]),
        Case(name: "REDUCE of a non-global", pickle: pickle { $0.string("os.system"); $0.op(.emptyTuple); $0.op(.reduce); $0.op(.stop) },
             mentions: ["REDUCE can only call an allowed global, not a string"]),
        Case(name: "calling a storage class", pickle: pickle { $0.global("torch", "FloatStorage"); $0.op(.emptyTuple); $0.op(.reduce); $0.op(.stop) },
             mentions: ["torch.FloatStorage cannot be called"]),
        Case(name: "SETITEM on a list", pickle: pickle { $0.op(.emptyList); $0.op(.none); $0.op(.none); $0.op(.setItem); $0.op(.stop) },
             mentions: ["SETITEM needs a dict, found a list"]),
        Case(name: "APPEND to a dict", pickle: pickle { $0.op(.emptyDict); $0.op(.none); $0.op(.append); $0.op(.stop) },
             mentions: ["APPEND needs a list, found a dict"]),
        Case(name: "BUILD on a tuple", pickle: pickle { $0.op(.emptyTuple); $0.op(.emptyDict); $0.op(.build); $0.op(.stop) },
             mentions: ["BUILD can only set attributes of an OrderedDict"]),
        Case(name: "persistent id not a storage",
             pickle: pickle { $0.tuple { $0.string("module"); $0.op(.none); $0.op(.none); $0.op(.none); $0.op(.none) }; $0.op(.binPersID); $0.op(.stop) },
             mentions: ["only storages may be persistent ids"]),
        Case(name: "LONG1 too wide", pickle: pickle { $0.op(.long1); $0.raw([9, 0, 0, 0, 0, 0, 0, 0, 0, 1]); $0.op(.stop) },
             mentions: ["does not fit in 64 bits"]),
        Case(name: "protocol 9", pickle: [0x80, 9, 0x4E, 0x2E], mentions: ["unsupported pickle protocol 9"]),
        Case(name: "rebuild with the wrong argument count",
             pickle: pickle { $0.global("torch._utils", "_rebuild_tensor_v2"); $0.op(.emptyTuple); $0.op(.reduce); $0.op(.stop) },
             mentions: ["torch._utils._rebuild_tensor_v2 takes 6 to 7 arguments, found 0"]),
    ]

    func testHostilePicklesAreTypedErrors() {
        let url = URL(filePath: "/models/x/pytorch_model.bin")
        for test in Self.cases {
            var unpickler = RestrictedUnpickler(bytes: test.pickle, file: url, entryName: "archive/data.pkl")
            let error = expectError { () throws(CheckpointError) in try unpickler.load() }
            guard let error else { XCTFail(test.name); continue }
            XCTAssertEqual(error.file, url, test.name)
            assertMentions(error.description, test.mentions + ["archive/data.pkl"])
            if case .unsupportedCheckpoint = error.reason {
                XCTAssertTrue(test.refusedGlobal, "\(test.name): \(error)")
            } else {
                XCTAssertFalse(test.refusedGlobal, "\(test.name): \(error)")
            }
        }
    }

    func testAPickleOfDataIsReadWithoutRunningAnything() throws {
        // {'a': [1, -2, 3.5, True, None, 'x', b'y'], 'b': OrderedDict([('c', 2**40)])}, protocol 4 style.
        var b = PickleBuilder()
        b.op(.frame); b.raw([UInt8](repeating: 0, count: 8))
        b.op(.emptyDict); b.op(.memoize)
        b.op(.mark)
        b.op(.shortBinUnicode); b.raw([1] + Array("a".utf8))
        b.op(.emptyList); b.op(.memoize)
        b.op(.mark)
        b.op(.binInt1); b.raw([1])
        b.int(-2)
        b.op(.binFloat); b.raw([0x40, 0x0C, 0, 0, 0, 0, 0, 0])
        b.op(.newTrue); b.op(.none)
        b.string("x")
        b.op(.shortBinBytes); b.raw([1, 0x79])
        b.op(.appends)
        b.string("b")
        b.string("collections"); b.string("OrderedDict"); b.op(.stackGlobal)
        b.op(.emptyList); b.string("c"); b.op(.long1); b.raw([6, 0, 0, 0, 0, 0, 1]); b.op(.tuple2); b.op(.append)
        b.op(.tuple1); b.op(.reduce)
        b.op(.setItems)
        b.op(.binGet); b.raw([0])  // the memoized dict, now filled
        b.op(.stop)
        var unpickler = RestrictedUnpickler(bytes: b.bytes, file: URL(filePath: "x.bin"), entryName: "x/data.pkl")
        let root = try unpickler.load()
        guard case .object(let i) = root, case .dict(let dict) = unpickler.object(i) else { return XCTFail("\(root)") }
        XCTAssertEqual(dict.keys, [.string("a"), .string("b")])
        guard case .object(let j)? = dict[.string("a")], case .list(let list) = unpickler.object(j) else { return XCTFail() }
        XCTAssertEqual(list, [.int(1), .int(-2), .float(3.5), .bool(true), .none, .string("x"), .bytes([0x79])])
        guard case .object(let k)? = dict[.string("b")], case .dict(let inner) = unpickler.object(k) else { return XCTFail() }
        XCTAssertEqual(inner[.string("c")], .int(1 << 40))
    }

    func testDeepNestingDoesNotRecurse() throws {
        // 200 000 nested 1-tuples: values live in an arena, so neither building nor freeing recurses.
        var b = PickleBuilder()
        b.op(.emptyTuple)
        b.raw([UInt8](repeating: PickleOpcode.tuple1.rawValue, count: 200_000))
        b.op(.stop)
        var unpickler = RestrictedUnpickler(bytes: b.bytes, file: URL(filePath: "x.bin"), entryName: "x/data.pkl")
        guard case .object = try unpickler.load() else { return XCTFail() }
        let error = expectCheckpointError {
            let folder = try TemporaryFolder()
            _ = try PyTorchFile(url: folder.write("deep.bin", torchZip(pickle: b.bytes)))
        }
        assertMentions(error?.description ?? "", ["holds a tuple, not a state dict"])
    }
}
