/// Where the bytes of one PyTorch storage are: a stored zip entry or a range of a legacy file
/// (both read in place from the mapping), or a deflated entry inflated into memory.
struct StorageRecord: Sendable {
    enum Location: Sendable {
        /// A range of the mapped file, checked against its size.
        case mapped(Range<Int>)
        case inflated([UInt8])
    }

    /// How messages name it: the archive entry (`archive/data/0`) or the legacy key.
    var name: String
    var byteCount: Int
    var location: Location
    /// The zip entry, whose CRC-32 can be checked; `nil` in the legacy format, which has none.
    var zipEntry: ZipArchive.Entry?
}
