#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// Writes files so that readers see either the old file or the complete new one, never a part.
///
/// The bytes go to a hidden temporary file in the destination's folder, are flushed to disk
/// (`fsync`), and the temporary file is renamed over the destination, which is atomic within one
/// file system; the folder is then flushed so the rename itself survives a crash. The destination's
/// folder is created if missing. On any failure the temporary file is removed and the destination
/// is untouched.
public enum AtomicFile {
    /// Sets what is called at each point where a crash leaves a different state on disk:
    /// `"write NAME"` once a temporary file is complete, before its rename; `"rename NAME"` after
    /// it; `"remove NAME"` after ``remove(_:)``. Crash tests kill the process at each one in turn.
    @_spi(Testing) public static func onEvent(_ hook: (@Sendable (String) -> Void)?) { eventHook.withLock { $0 = hook } }
    private static let eventHook = Mutex<(@Sendable (String) -> Void)?>(nil)

    /// Removes the file at `url` if it exists, durably (the folder is flushed).
    public static func remove(_ url: URL) throws(CheckpointError) {
        guard unlink(url.path) == 0 || errno == ENOENT else {
            throw CheckpointError(file: url, .io("cannot remove: \(errorText())"))
        }
        syncFolder(url.deletingLastPathComponent())
        eventHook.withLock { $0 }?("remove \(url.lastPathComponent)")
    }

    /// Atomically replaces the file at `url` with `data`.
    public static func write(_ data: Data, to url: URL) throws(CheckpointError) {
        try write(to: url, typed: { (writer: inout Writer) throws(CheckpointError) in
            try writer.write(data)
        })
    }

    /// Atomically replaces the file at `url` with what `body` writes, in order, through the writer;
    /// use it to stream large files without building them in memory first.
    ///
    /// - Throws: ``CheckpointError`` when the file system fails, or whatever `body` throws, unchanged;
    ///   either way the destination is left as it was.
    public static func write(to url: URL, _ body: (inout Writer) throws -> Void) throws {
        let folder = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw CheckpointError(file: folder, .io("cannot create folder: \(error.localizedDescription)"))
        }
        // A write to this destination that was killed left its temporary file: this one replaces it.
        for name in leftovers(in: folder, of: url.lastPathComponent) { unlink(folder.appending(path: name).path) }
        let temporary = folder.appending(path: ".\(url.lastPathComponent).\(UUID().uuidString).tmp")
        // Permissions 0666 less the umask, as for any new file.
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard fd >= 0 else {
            throw CheckpointError(file: url, .io("cannot create a temporary file in \(folder.path): \(errorText())"))
        }
        var writer = Writer(fd: fd, url: url)
        var closed = false
        do {
            try body(&writer)
            guard fsync(fd) == 0 else { throw CheckpointError(file: url, .io("cannot flush to disk: \(errorText())")) }
            closed = true
            guard close(fd) == 0 else { throw CheckpointError(file: url, .io("cannot close: \(errorText())")) }
            eventHook.withLock { $0 }?("write \(url.lastPathComponent)")
            guard rename(temporary.path, url.path) == 0 else {
                throw CheckpointError(file: url, .io("cannot replace the file: \(errorText())"))
            }
        } catch {
            if !closed { close(fd) }
            unlink(temporary.path)
            throw error
        }
        syncFolder(folder)
        eventHook.withLock { $0 }?("rename \(url.lastPathComponent)")
    }

    /// The names of temporary files in `folder` that a write killed before its rename left behind
    /// (`.NAME.UUID.tmp`); empty when the folder does not exist.
    /// With `destination`, only those of writes to that file name.
    public static func leftovers(in folder: URL, of destination: String? = nil) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { name in
            guard name.hasPrefix("."), name.hasSuffix(".tmp") else { return false }
            let parts = name.dropFirst().dropLast(4).split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count >= 2, UUID(uuidString: String(parts.last!)) != nil else { return false }
            return destination.map { parts.dropLast().joined(separator: ".") == $0 } ?? true
        }.sorted()
    }

    /// ``write(to:_:)`` for a body that throws only `CheckpointError`, keeping the error typed.
    static func write(
        to url: URL, typed body: (inout Writer) throws(CheckpointError) -> Void
    ) throws(CheckpointError) {
        do {
            try write(to: url) { (writer: inout Writer) in try body(&writer) }
        } catch let error as CheckpointError {
            throw error
        } catch {
            preconditionFailure("write(to:_:) throws only CheckpointError and the body's errors: \(error)")
        }
    }

    /// The open temporary file, given to the body of ``AtomicFile/write(to:_:)``.
    public struct Writer: ~Copyable {
        fileprivate let fd: Int32
        fileprivate let url: URL
        /// Bytes written so far.
        public private(set) var byteCount = 0

        fileprivate init(fd: Int32, url: URL) {
            self.fd = fd
            self.url = url
        }

        /// Appends `data`.
        public mutating func write(_ data: Data) throws(CheckpointError) {
            var failure: CheckpointError?
            data.withUnsafeBytes { bytes in
                do throws(CheckpointError) { try write(bytes) } catch { failure = error }
            }
            if let failure { throw failure }
        }

        /// Appends `bytes`.
        public mutating func write(_ bytes: UnsafeRawBufferPointer) throws(CheckpointError) {
            var offset = 0
            while offset < bytes.count {
                // Safe: offset < bytes.count, so base + offset and the remaining count stay inside `bytes`.
                let written = Glibc_write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw CheckpointError(file: url, .io("cannot write: \(errorText())"))
                }
                offset += written
            }
            byteCount += bytes.count
        }

        /// Appends the UTF-8 bytes of `string`.
        public mutating func write(_ string: String) throws(CheckpointError) {
            try write(Data(string.utf8))
        }

        /// Appends `values` as little-endian 32-bit floats.
        public mutating func write(littleEndian values: [Float]) throws(CheckpointError) {
            #if _endian(little)
            var failure: CheckpointError?
            values.withUnsafeBytes { bytes in
                do throws(CheckpointError) { try write(bytes) } catch { failure = error }
            }
            if let failure { throw failure }
            #else
            var swapped = values.map { $0.bitPattern.littleEndian }
            var failure: CheckpointError?
            swapped.withUnsafeBytes { bytes in
                do throws(CheckpointError) { try write(bytes) } catch { failure = error }
            }
            if let failure { throw failure }
            #endif
        }
    }

    /// Flushes a folder's entries, so a rename in it is durable; best effort (not every file system
    /// allows it, and the file itself is already complete).
    private static func syncFolder(_ folder: URL) {
        let fd = open(folder.path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }
}

private func errorText() -> String { String(cString: strerror(errno)) }

/// The C library's `write`, which `Writer.write` would otherwise shadow.
private func Glibc_write(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, buffer, count)
    #elseif canImport(Musl)
    return Musl.write(fd, buffer, count)
    #else
    return Darwin.write(fd, buffer, count)
    #endif
}
