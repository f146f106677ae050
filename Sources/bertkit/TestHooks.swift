import BertKit
@_spi(Testing) import Checkpoints
import Foundation
import Synchronization
@_spi(Testing) import Tensor

/// For the crash tests (Tests/CLITests): with ``Settings/crashAtEvent`` N, the process kills itself
/// (SIGKILL, as `kill -9`) at the Nth point of the final save where the files on disk change.
func armCrashTest() {
    guard let target = Settings.crashAtEvent else { return }
    AtomicFile.onEvent { _ in
        if savedEvents.add(1, ordering: .relaxed).newValue == target { kill(getpid(), SIGKILL) }
    }
}

private let savedEvents = Atomic<Int>(0)

/// For the failure tests: with ``Settings/killRankAtStep`` (R, N), rank R kills itself after step N,
/// saying when on stderr.
func armRankKill(_ trainer: Trainer, ranks: Communicator) {
    guard let (rank, step) = Settings.killRankAtStep, rank == ranks.rank else { return }
    let previous = trainer.onProgress
    trainer.onProgress = { p in
        previous?(p)
        if p.step == step {
            note(String(format: "rank %d: killing itself (SIGKILL) after step %d at %.3f", ranks.rank, p.step, Date().timeIntervalSince1970))
            kill(getpid(), SIGKILL)
        }
    }
}
