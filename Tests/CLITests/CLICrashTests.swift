import Foundation
import XCTest

/// A kill -9 at any point of the final save leaves a folder that predict loads correctly (the old
/// model or the new one) or refuses with an error, and a checkpoint that resumes to the new model.
final class CLICrashTests: XCTestCase {
    func testKillAtEveryWriteAndRenameOfTheFinalSave() throws {
        let work = try Tiny.workFolder()
        defer { try? FileManager.default.removeItem(at: work) }
        let probe = "good film\nthe food was awful\nnice service\n"
        func predictions(_ folder: String) throws -> CLI.Result {
            try CLI.run(["predict", "--model", folder, "--logits"], input: probe, in: work)
        }
        // The old model (seed 1) and, uninterrupted, the new one (seed 2).
        XCTAssertEqual(try CLI.run(["train"] + Tiny.quick + ["--seed", "1", "--output", "old"], in: work).status, 0)
        XCTAssertEqual(try CLI.run(["train"] + Tiny.quick + ["--seed", "2", "--output", "new"], in: work).status, 0)
        let old = try predictions("old").stdout, new = try predictions("new").stdout
        XCTAssertNotEqual(old, new)

        var event = 1
        var killed = 0
        while event < 100 {
            let folder = "crash-\(event)"
            try FileManager.default.copyItem(at: work.appending(path: "old"), to: work.appending(path: folder))
            let run = try CLI.run(["train"] + Tiny.quick + ["--seed", "2", "--output", folder, "--overwrite"], in: work,
                                  environment: ["BERTKIT_CRASH_AT_EVENT": "\(event)"])
            if !run.signalled {
                XCTAssertEqual(run.status, 0, run.stderr)
                XCTAssertEqual(try predictions(folder).stdout, new)
                break
            }
            killed += 1
            XCTAssertEqual(run.status, SIGKILL)
            let after = try predictions(folder)
            if after.status == 0 {
                XCTAssertTrue(after.stdout == old || after.stdout == new, "event \(event): predictions from neither model")
            } else {
                assertFails(after, saying: folder)
            }
            // The checkpoint is still there: --resume finishes the run with the new model, and cleans up.
            let resumed = try CLI.run(["train"] + Tiny.quick + ["--seed", "2", "--output", folder, "--resume"], in: work)
            XCTAssertEqual(resumed.status, 0, "event \(event): \(resumed.stderr)")
            XCTAssertEqual(try predictions(folder).stdout, new, "event \(event): the resumed run differs")
            let names = try FileManager.default.contentsOfDirectory(atPath: work.appending(path: folder).path)
            XCTAssertEqual(names.filter { $0.hasSuffix(".tmp") }, [], "event \(event)")
            XCTAssertFalse(names.contains("checkpoint"), "event \(event)")
            event += 1
        }
        // model.safetensors, config.json, vocab.txt, bertkit.json (write + rename each), the
        // manifest's removal, and the three reports.
        XCTAssertGreaterThanOrEqual(killed, 15)
    }
}
