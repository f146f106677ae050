import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a whole file could not be read, in words that fit one error line after its name.
public struct FileReadError: Error, Sendable, Equatable {
    public var reason: String
    /// Nothing is at the path.
    public var isMissing: Bool
}

/// Whole-file reads for every reader of configs, vocabularies and data tables: one place that says
/// what is at the path when it is not a regular file.
public enum FileContents {
    /// The bytes of the regular file at `url` (symbolic links followed).
    ///
    /// A folder, a named pipe (FIFO), a device or a socket where a file is expected is an error
    /// saying which; a FIFO is refused before any read, which would otherwise wait for a writer.
    public static func read(_ url: URL) throws(FileReadError) -> Data {
        var info = stat()
        guard stat(url.path, &info) == 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { throw FileReadError(reason: "no such file", isMissing: true) }
            throw FileReadError(reason: String(cString: strerror(code)), isMissing: false)
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw FileReadError(reason: "is a folder, not a file", isMissing: false)
        case S_IFIFO: throw FileReadError(reason: "is a named pipe (FIFO), not a regular file", isMissing: false)
        default: throw FileReadError(reason: "is a device or socket, not a regular file", isMissing: false)
        }
        do { return try Data(contentsOf: url) } catch {
            throw FileReadError(reason: "cannot read: \(error.localizedDescription)", isMissing: false)
        }
    }
}
