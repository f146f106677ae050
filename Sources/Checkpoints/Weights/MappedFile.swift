#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import BertKitJSON
import Foundation

/// A whole file mapped read-only into memory, unmapped when the last reference goes away.
///
/// Shared between threads unchecked: the mapping is `PROT_READ` and `MAP_PRIVATE`, nothing writes through it,
/// and it is unmapped only in `deinit`, when no other reference can exist. (As with any memory map,
/// another process truncating the file while it is mapped makes reads fault; checkpoints are not
/// rewritten in place: ``AtomicFile`` replaces files by rename, which leaves this mapping intact.)
final class MappedFile: @unchecked Sendable {
    let url: URL
    /// The file's bytes. Empty files are not mapped (`mmap` rejects length 0).
    let bytes: UnsafeRawBufferPointer

    init(url: URL) throws(CheckpointError) {
        self.url = url
        // O_NONBLOCK: opening a named pipe for reading would wait for a writer; this way it opens at once
        // and fstat below refuses it. (For a regular file the flag changes nothing, and mmap ignores it.)
        let fd = open(url.path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            let code = errno
            throw CheckpointError(file: url, code == ENOENT ? .fileNotFound : .io("cannot open: \(String(cString: strerror(code)))"))
        }
        defer { close(fd) }  // the mapping outlives the descriptor

        var status = stat()
        guard fstat(fd, &status) == 0 else {
            throw CheckpointError(file: url, .io("cannot stat: \(String(cString: strerror(errno)))"))
        }
        if let reason = FileContents.notRegular(mode: status.st_mode) {
            throw CheckpointError(file: url, .io(reason))
        }
        let size = Int(status.st_size)
        if size == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        // Safe: read-only private mapping of exactly `size` bytes of a regular file we hold open;
        // failure is checked against MAP_FAILED before the pointer is used.
        let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let address, address != MAP_FAILED else {
            throw CheckpointError(file: url, .io("cannot map into memory: \(String(cString: strerror(errno)))"))
        }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    deinit {
        // Safe: `bytes` is exactly the region returned by mmap in init, unmapped once, here.
        if let base = bytes.baseAddress {
            munmap(UnsafeMutableRawPointer(mutating: base), bytes.count)
        }
    }
}
