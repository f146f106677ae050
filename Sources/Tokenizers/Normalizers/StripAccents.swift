/// Removes combining marks (Mn, Mc, Me), as the `StripAccents` normalizer of Hugging Face `tokenizers` (BERT's
/// normalizer removes only nonspacing ones). Precomposed letters keep their accents: put ``UnicodeNormalizer``
/// (NFD or NFKD) before it.
public struct StripAccents: Normalizer, Hashable {
    /// An accent-stripping normalizer.
    public init() {}

    public func normalize(_ string: inout NormalizedString) {
        let tables = CharacterTables.shared
        string.filter { !tables.classOf($0).contains(.combiningMark) }
    }
}
