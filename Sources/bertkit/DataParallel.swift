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

/// Under mpirun, stops every rank with one line (rank 0's) unless all run the same arguments on the
/// same model files and the same data files: each rank fingerprints them (size and a 64-bit hash)
/// before any work. Nothing without mpirun.
func checkRanksAgree(_ ranks: Communicator, model: URL?, files: [(option: String, path: String?)]) throws {
    guard ranks.size > 1 else { return }
    var facts = [(name: "the arguments", value: CommandLine.arguments.dropFirst().joined(separator: " "))]
    if let model { facts.append(("the model files", try fingerprint(folder: model))) }
    for case let (option, path?) in files {
        let url = URL(fileURLWithPath: path)
        let regular = (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true
        facts.append(("\(option) \(path)", regular ? try fingerprint(files: [url]) : "not a regular file"))
    }
    try ranks.agree(on: facts)
}

/// The regular files of `folder` (and its subfolders), by relative name, size and content.
private func fingerprint(folder: URL) throws -> String {
    let root = folder.resolvingSymlinksInPath()
    let names = (FileManager.default.enumerator(atPath: root.path)?.allObjects as? [String] ?? []).sorted()
    let files = names.map { root.appending(path: $0) }.filter {
        (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true
    }
    return "\(files.count) files, " + (try fingerprint(files: files, naming: names))
}

/// Total size and a 64-bit FNV-1a hash, over 8-byte words, of the files' contents (and names, when given).
private func fingerprint(files: [URL], naming names: [String] = []) throws -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325, total = 0
    func mix(_ bytes: UnsafeRawBufferPointer) {
        var i = 0
        while i + 8 <= bytes.count { hash = (hash ^ bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0x100_0000_01b3; i += 8 }
        while i < bytes.count { hash = (hash ^ UInt64(bytes[i])) &* 0x100_0000_01b3; i += 1 }
    }
    for name in names { Array(name.utf8).withUnsafeBytes(mix) }
    for file in files {
        guard let handle = FileHandle(forReadingAtPath: file.path) else { throw ValidationError("\(file.path): cannot read") }
        defer { try? handle.close() }
        while let chunk = try handle.read(upToCount: 1 << 22), !chunk.isEmpty {
            total += chunk.count
            chunk.withUnsafeBytes(mix)
        }
    }
    return "\(total) bytes, hash \(String(hash, radix: 16))"
}

/// Ends MPI after a successful command, on every rank (nothing when MPI was never started).
func finishDataParallel() { Communicator.finish() }
