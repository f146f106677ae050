import ArgumentParser
import BertKit
import Foundation

/// One line on stderr per rank at the end of a data-parallel run: how its gradients were summed,
/// and the time that took.
func noteDataParallel(_ ranks: Communicator, seconds: Double) {
    guard ranks.size > 1 else { return }
    let how = ranks.sumsInSharedMemory
        ? String(format: "in memory the ranks of this host share (%.0f MB)%@, optimizer step split among them", Double(ranks.sharedStepBytes) / 1e6,
                 ranks.peers.size > 1 ? ", then by MPI allreduce among the \(ranks.peers.size) hosts" : "")
        : "by MPI allreduce, optimizer step " + (ranks.sharedStepBytes > 0 ? "split among the ranks of this host" : "taken whole by every rank")
    note(String(format: "rank %d of %d: gradient sum %.2f s (%.2f s after the backward pass), %.1f%% of %.1f s; "
                + "%.1f MB of gradients summed %@; %.2f s in the per-batch loss sum (waiting for the slowest rank)",
                ranks.rank, ranks.size, ranks.reduceSeconds, ranks.exposedSeconds, 100 * ranks.reduceSeconds / max(seconds, 1e-9),
                seconds, Double(ranks.reducedFloats) * 4 / 1e6, how, ranks.syncSeconds))
}

extension LineReader {
    /// Lines of `inputFile`, or of stdin when nil. Under mpirun stdin reaches rank 0 only, so a
    /// job of several ranks needs the file.
    init(inputFile: String?, options: InputOptions, ranks: Communicator) throws {
        guard let inputFile else {
            if ranks.size > 1 { throw ValidationError("under mpirun (\(ranks.size) ranks) give --input FILE: mpirun passes stdin to rank 0 only") }
            self.init(options: options)
            return
        }
        let fd = open(inputFile, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ValidationError("--input \(inputFile): \(String(cString: strerror(errno)))") }
        var status = stat()
        if fstat(fd, &status) == 0 && status.st_mode & S_IFMT == S_IFDIR {
            close(fd)
            throw ValidationError("--input \(inputFile) is a folder, not a file")
        }
        self.init(fd: fd, name: inputFile, options: options)
    }
}

/// Ends MPI after a successful command, on every rank (nothing when MPI was never started).
func finishDataParallel() { Communicator.finish() }
