/// Unicode normalization (NFD, NFKD, NFC, NFKC), as the `NFD`, `NFKD`, `NFC` and `NFKC` normalizers of Hugging Face
/// `tokenizers`, with the same alignments (decomposed scalars share the original's; a composite spans its parts).
public struct UnicodeNormalizer: Normalizer, Hashable {
    /// A Unicode normalization form.
    public enum Form: String, Sendable, Hashable, CaseIterable {
        /// Canonical decomposition.
        case nfd = "NFD"
        /// Compatibility decomposition.
        case nfkd = "NFKD"
        /// Canonical decomposition, then canonical composition.
        case nfc = "NFC"
        /// Compatibility decomposition, then canonical composition.
        case nfkc = "NFKC"
    }

    /// The normalization form.
    public var form: Form

    /// A normalizer to `form`.
    public init(_ form: Form) {
        self.form = form
    }

    public func normalize(_ string: inout NormalizedString) {
        switch form {
        case .nfd: string.nfd()
        case .nfkd: string.nfkd()
        case .nfc: string.nfc()
        case .nfkc: string.nfkc()
        }
    }
}
