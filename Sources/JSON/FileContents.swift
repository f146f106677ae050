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
    /// What is at a path of this `st_mode` when it is not a regular file ("is a folder, not a file"…),
    /// or nil for a regular file.
    public static func notRegular(mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFDIR: return "is a folder, not a file"
        case S_IFIFO: return "is a named pipe (FIFO), not a regular file"
        default: return "is a device or socket, not a regular file"
        }
    }

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
        if let reason = notRegular(mode: info.st_mode) { throw FileReadError(reason: reason, isMissing: false) }
        do { return try Data(contentsOf: url) } catch {
            throw FileReadError(reason: "cannot read: \(error.localizedDescription)", isMissing: false)
        }
    }
}
