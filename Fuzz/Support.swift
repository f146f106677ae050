// Shared by the fuzz targets: a scratch file for readers that map a file, and seeds' helpers.
import Foundation

/// Writes `bytes` to this process's scratch file (in the fastest temporary folder) and returns it.
func scratchFile(_ start: UnsafeRawPointer, _ count: Int, suffix: String) -> URL {
    let folder = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    let url = URL(fileURLWithPath: folder).appendingPathComponent("bertkit-fuzz-\(getpid())\(suffix)")
    let fd = open(url.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    precondition(fd >= 0, "cannot write \(url.path)")
    var offset = 0
    while offset < count {
        let n = write(fd, start + offset, count - offset)
        precondition(n > 0, "cannot write \(url.path)")
        offset += n
    }
    close(fd)
    return url
}
