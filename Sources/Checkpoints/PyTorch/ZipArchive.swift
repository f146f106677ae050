import Foundation

/// A zip archive read from a memory-mapped file: the layout `torch.save` writes (PKWARE APPNOTE
/// 6.3), with stored or deflated entries and ZIP64 records.
///
/// Opening parses the end-of-central-directory record (and the ZIP64 one when present), every
/// central-directory entry and every local header, and checks each entry's data range against the
/// file, so reading an entry later cannot go out of bounds. Any inconsistency is a
/// ``CheckpointError`` naming the file and what is wrong; nothing traps on malformed input.
struct ZipArchive: Sendable {
    /// One file in the archive.
    struct Entry: Sendable, Equatable {
        enum Method: Sendable, Equatable { case stored, deflated }
        var name: String
        var method: Method
        var crc32: UInt32
        var compressedSize: Int
        var uncompressedSize: Int
        /// Where the (possibly compressed) bytes are in the file.
        var dataRange: Range<Int>
    }

    let url: URL
    /// Entries in central-directory order.
    let entries: [Entry]
    private let indexByName: [String: Int]
    let mapping: MappedFile

    /// Maps `url` and reads its directory.
    init(url: URL) throws(CheckpointError) {
        try self.init(mapping: MappedFile(url: url))
    }

    init(mapping: MappedFile) throws(CheckpointError) {
        self.url = mapping.url
        self.mapping = mapping
        var reader = ZipDirectoryReader(bytes: mapping.bytes, url: mapping.url)
        entries = try reader.readEntries()
        var indexByName: [String: Int] = [:]
        for (i, entry) in entries.enumerated() {
            guard indexByName.updateValue(i, forKey: entry.name) == nil else {
                throw CheckpointError(file: url, .invalidValue("corrupt zip archive: entry \"\(entry.name)\" appears twice"))
            }
        }
        self.indexByName = indexByName
    }

    /// The entry named `name` (the full path inside the archive), if any.
    func entry(_ name: String) -> Entry? {
        indexByName[name].map { entries[$0] }
    }

    /// Calls `body` with the entry's bytes as they are in the file (compressed, for a deflated
    /// entry); the view is valid only inside `body`.
    func withRawBytes<R>(of entry: Entry, _ body: (UnsafeRawBufferPointer) throws(CheckpointError) -> R) throws(CheckpointError) -> R {
        // Safe: dataRange was checked against the mapping's size when the directory was read, and
        // the mapping lives as long as `self`, which outlives `body`.
        try body(UnsafeRawBufferPointer(rebasing: mapping.bytes[entry.dataRange]))
    }

    /// Calls `body` with the entry's bytes as they are in the file (compressed, for a deflated
    /// entry); the view is valid only inside `body`.
    func withRawBytes<R>(of entry: Entry, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        // Safe: as above.
        body(UnsafeRawBufferPointer(rebasing: mapping.bytes[entry.dataRange]))
    }

    /// The entry's bytes, copied (or inflated) into an array.
    func bytes(of entry: Entry) throws(CheckpointError) -> [UInt8] {
        switch entry.method {
        case .stored:
            return withRawBytes(of: entry) { [UInt8]($0) }
        case .deflated:
            return try inflate(entry)
        }
    }

    /// Checks the entry's CRC-32 against the central directory.
    func verifyChecksum(of entry: Entry) throws(CheckpointError) {
        let crc = switch entry.method {
        case .stored: withRawBytes(of: entry) { CRC32.checksum($0) }
        case .deflated: CRC32.checksum(try inflate(entry))
        }
        guard crc == entry.crc32 else {
            throw CheckpointError(file: url, .invalidValue(
                "corrupt zip archive: entry \"\(entry.name)\" has CRC-32 \(CRC32.hex(crc)), but the directory says \(CRC32.hex(entry.crc32))"))
        }
    }

    private func inflate(_ entry: Entry) throws(CheckpointError) -> [UInt8] {
        let result = withRawBytes(of: entry) { raw in
            Result { () throws(Inflate.Failure) in try Inflate.decompress(raw, expectedSize: entry.uncompressedSize) }
        }
        switch result {
        case .success(let bytes): return bytes
        case .failure(let error):
            throw CheckpointError(file: url, .invalidValue("corrupt zip archive: entry \"\(entry.name)\": \(error.message)"))
        }
    }
}

/// Reads the end records, the central directory and the local headers of a zip archive.
private struct ZipDirectoryReader {
    let bytes: UnsafeRawBufferPointer
    let url: URL

    private static let eocdSignature: UInt32 = 0x0605_4B50
    private static let zip64LocatorSignature: UInt32 = 0x0706_4B50
    private static let zip64EndSignature: UInt32 = 0x0606_4B50
    private static let centralSignature: UInt32 = 0x0201_4B50
    private static let localSignature: UInt32 = 0x0403_4B50
    private static let eocdSize = 22
    private static let zip64LocatorSize = 20
    private static let zip64EndSize = 56
    private static let centralSize = 46
    private static let localSize = 30

    private func corrupt(_ text: String) -> CheckpointError {
        CheckpointError(file: url, .invalidValue("corrupt zip archive: \(text)"))
    }

    private func truncated(_ text: String) -> CheckpointError {
        CheckpointError(file: url, .truncated(text))
    }

    /// Little-endian integers at `offset`; the caller has checked `offset + size <= bytes.count`.
    private func u16(_ offset: Int) -> Int {
        // Safe: callers check the range first; loadUnaligned needs no alignment.
        Int(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    }

    private func u32(_ offset: Int) -> UInt32 {
        // Safe: as u16.
        UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    private func u64(_ offset: Int) -> UInt64 {
        // Safe: as u16.
        UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// `true` if `count` bytes starting at `offset` lie inside the file (no overflow).
    private func fits(_ offset: Int, _ count: Int) -> Bool {
        offset >= 0 && count >= 0 && offset <= bytes.count && count <= bytes.count - offset
    }

    /// A 64-bit size or offset from the file as an `Int`, or an error if it cannot be one.
    private func int(_ value: UInt64, _ what: String) throws(CheckpointError) -> Int {
        guard let n = Int(exactly: value) else { throw corrupt("\(what) \(value) is too large") }
        return n
    }

    mutating func readEntries() throws(CheckpointError) -> [ZipArchive.Entry] {
        let size = bytes.count
        guard size >= Self.eocdSize else {
            if size >= 4, u32(0) == Self.localSignature {
                throw truncated("the zip archive has \(size) bytes and no end-of-central-directory record")
            }
            throw corrupt("the file has \(size) bytes, too few for a zip archive")
        }
        let eocd = try findEndOfCentralDirectory()
        var entryCount = u16(eocd + 10)
        var directorySize = Int(u32(eocd + 12))
        var directoryOffset = Int(u32(eocd + 16))
        if u16(eocd + 4) != 0 || u16(eocd + 6) != 0 {
            throw CheckpointError(file: url, .unsupportedCheckpoint("multi-disk (split) zip archives are not supported"))
        }

        // ZIP64: a locator right before the end record points at the ZIP64 end record, whose
        // 64-bit fields replace the saturated 16- and 32-bit ones. torch.save always writes one.
        let locator = eocd - Self.zip64LocatorSize
        if locator >= 0, u32(locator) == Self.zip64LocatorSignature {
            let recordOffset = try int(u64(locator + 8), "ZIP64 end record offset")
            guard fits(recordOffset, Self.zip64EndSize), recordOffset <= locator - Self.zip64EndSize else {
                throw corrupt("the ZIP64 end record offset \(recordOffset) is outside the file")
            }
            guard u32(recordOffset) == Self.zip64EndSignature else {
                throw corrupt("no ZIP64 end record at offset \(recordOffset), where the locator points")
            }
            entryCount = try int(u64(recordOffset + 32), "ZIP64 entry count")
            directorySize = try int(u64(recordOffset + 40), "ZIP64 central directory size")
            directoryOffset = try int(u64(recordOffset + 48), "ZIP64 central directory offset")
            guard fits(directoryOffset, directorySize), directoryOffset + directorySize <= recordOffset else {
                throw truncated("the central directory (\(directorySize) bytes at offset \(directoryOffset)) ends past the ZIP64 end record at \(recordOffset)")
            }
        } else {
            guard fits(directoryOffset, directorySize), directoryOffset + directorySize <= eocd else {
                throw truncated("the central directory (\(directorySize) bytes at offset \(directoryOffset)) ends past the end record at \(eocd)")
            }
        }
        // Each entry needs at least 46 bytes, which bounds the count before anything is allocated.
        guard entryCount <= directorySize / Self.centralSize else {
            throw corrupt("\(entryCount) entries cannot fit in a central directory of \(directorySize) bytes")
        }

        var entries: [ZipArchive.Entry] = []
        entries.reserveCapacity(entryCount)
        var offset = directoryOffset
        let directoryEnd = directoryOffset + directorySize
        for index in 0..<entryCount {
            let (entry, next) = try readCentralEntry(at: offset, end: directoryEnd, index: index)
            entries.append(entry)
            offset = next
        }
        return entries
    }

    /// The offset of the end-of-central-directory record: the last signature in the final
    /// 22 + 65535 bytes whose comment length ends exactly at the end of the file (or, failing that,
    /// inside it).
    private func findEndOfCentralDirectory() throws(CheckpointError) -> Int {
        let size = bytes.count
        let lowest = max(0, size - Self.eocdSize - 0xFFFF)
        var fallback: Int?
        var offset = size - Self.eocdSize
        while offset >= lowest {
            if u32(offset) == Self.eocdSignature {
                let end = offset + Self.eocdSize + u16(offset + 20)
                if end == size { return offset }
                if end < size, fallback == nil { fallback = offset }
            }
            offset -= 1
        }
        if let fallback { return fallback }
        if u32(0) == Self.localSignature {
            throw truncated("the zip archive has no end-of-central-directory record (was the download or copy cut short?)")
        }
        throw corrupt("no end-of-central-directory record (this is not a zip archive)")
    }

    private func readCentralEntry(at offset: Int, end: Int, index: Int) throws(CheckpointError) -> (ZipArchive.Entry, Int) {
        guard offset <= end - Self.centralSize else {
            throw corrupt("central directory entry \(index) at offset \(offset) runs past the directory's end at \(end)")
        }
        guard u32(offset) == Self.centralSignature else {
            throw corrupt("no central directory entry signature at offset \(offset) (entry \(index))")
        }
        let flags = u16(offset + 8)
        let methodCode = u16(offset + 10)
        let crc = u32(offset + 16)
        var compressedSize = UInt64(u32(offset + 20))
        var uncompressedSize = UInt64(u32(offset + 24))
        let nameLength = u16(offset + 28)
        let extraLength = u16(offset + 30)
        let commentLength = u16(offset + 32)
        var localOffset = UInt64(u32(offset + 42))
        let next = offset + Self.centralSize + nameLength + extraLength + commentLength
        guard next <= end else {
            throw corrupt("central directory entry \(index) at offset \(offset) runs past the directory's end at \(end)")
        }
        let nameStart = offset + Self.centralSize
        // Safe: nameStart + nameLength <= next <= end <= file size, checked above.
        let nameBytes = UnsafeRawBufferPointer(rebasing: bytes[nameStart..<(nameStart + nameLength)])
        guard let name = String(validating: nameBytes, as: UTF8.self) else {
            throw corrupt("the name of central directory entry \(index) is not valid UTF-8")
        }

        // The ZIP64 extra field holds, in this order, each of the three values that is saturated.
        let extraStart = nameStart + nameLength
        var cursor = extraStart
        let extraEnd = extraStart + extraLength
        while cursor + 4 <= extraEnd {
            let id = u16(cursor)
            let length = u16(cursor + 2)
            let dataStart = cursor + 4
            guard dataStart + length <= extraEnd else {
                throw corrupt("an extra field of entry \"\(name)\" runs past the entry")
            }
            if id == 0x0001 {
                var field = dataStart
                func take(_ value: inout UInt64) throws(CheckpointError) {
                    guard value == 0xFFFF_FFFF else { return }
                    guard field + 8 <= dataStart + length else {
                        throw corrupt("the ZIP64 extra field of entry \"\(name)\" is too short")
                    }
                    value = u64(field)
                    field += 8
                }
                try take(&uncompressedSize)
                try take(&compressedSize)
                try take(&localOffset)
            }
            cursor = dataStart + length
        }

        guard flags & 0x1 == 0 else {
            throw CheckpointError(file: url, .unsupportedCheckpoint("zip entry \"\(name)\" is encrypted"))
        }
        let method: ZipArchive.Entry.Method
        switch methodCode {
        case 0: method = .stored
        case 8: method = .deflated
        default:
            throw CheckpointError(file: url, .unsupportedCheckpoint(
                "zip entry \"\(name)\" uses compression method \(methodCode); only stored (0) and deflated (8) entries can be read"))
        }
        let compressed = try int(compressedSize, "compressed size of \"\(name)\"")
        let uncompressed = try int(uncompressedSize, "size of \"\(name)\"")
        if method == .stored, compressed != uncompressed {
            throw corrupt("stored entry \"\(name)\" has compressed size \(compressed) but size \(uncompressed)")
        }

        // The local header repeats the name and may carry a different extra field (torch pads it so
        // that data is 64-byte aligned); the data follows it. Sizes come from the central directory,
        // since torch sets the data-descriptor flag and leaves the local sizes zero.
        let local = try int(localOffset, "local header offset of \"\(name)\"")
        guard fits(local, Self.localSize) else {
            throw truncated("the local header of entry \"\(name)\" at offset \(local) is past the end of the file (\(bytes.count) bytes)")
        }
        guard u32(local) == Self.localSignature else {
            throw corrupt("no local header signature at offset \(local) for entry \"\(name)\"")
        }
        let localNameLength = u16(local + 26)
        let localExtraLength = u16(local + 28)
        let dataStart = local + Self.localSize + localNameLength + localExtraLength
        guard fits(local + Self.localSize, localNameLength + localExtraLength) else {
            throw truncated("the local header of entry \"\(name)\" at offset \(local) runs past the end of the file")
        }
        // Safe: the local name lies inside the file, checked above.
        let localName = UnsafeRawBufferPointer(rebasing: bytes[(local + Self.localSize)..<(local + Self.localSize + localNameLength)])
        guard localName.elementsEqual(nameBytes) else {
            throw corrupt("the local header at offset \(local) names \"\(String(decoding: localName, as: UTF8.self))\", but the central directory says \"\(name)\"")
        }
        guard fits(dataStart, compressed) else {
            throw truncated("entry \"\(name)\" needs \(compressed) bytes at offset \(dataStart), past the end of the file (\(bytes.count) bytes)")
        }
        let entry = ZipArchive.Entry(
            name: name, method: method, crc32: crc, compressedSize: compressed, uncompressedSize: uncompressed,
            dataRange: dataStart..<(dataStart + compressed))
        return (entry, next)
    }
}
