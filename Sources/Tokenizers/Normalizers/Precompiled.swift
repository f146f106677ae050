#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// SentencePiece's precompiled normalization (the `precompiled_charsmap` of ALBERT, XLM-R, T5, …), as the
/// `Precompiled` normalizer of Hugging Face `tokenizers` (crate spm_precompiled).
///
/// The charsmap is a little-endian `UInt32` byte count, a darts-clone double-array trie over UTF-8 bytes of that
/// many bytes, then a blob of NUL-terminated replacement strings the trie's values point into. The text is read
/// grapheme by grapheme: a grapheme shorter than 6 UTF-8 bytes whose *shortest* matching prefix is in the trie is
/// replaced whole by that prefix's replacement; otherwise each scalar is looked up alone. Replacements keep
/// alignments as `tokenizers` does (extra scalars are inserted, missing ones removed from the last).
public struct Precompiled: Normalizer, Hashable {
    private let trie: [UInt32]
    private let normalized: [UInt8]

    /// Parses a charsmap (the bytes, not base64).
    ///
    /// - Throws: ``TokenizerError/invalidValue(file:path:expected:found:)`` when the bytes are not a charsmap.
    public init(charsmap bytes: [UInt8], file: String = "precompiled_charsmap",
                path: String = "precompiled_charsmap") throws(TokenizerError) {
        func bad(_ what: String) -> TokenizerError {
            .invalidValue(file: file, path: path, expected: "a SentencePiece charsmap", found: what)
        }
        guard bytes.count >= 4 else { throw bad("\(bytes.count) bytes") }
        let trieSize = Int(UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24)
        guard trieSize % 4 == 0, 4 + trieSize <= bytes.count else { throw bad("a trie of \(trieSize) bytes") }
        var trie = [UInt32]()
        trie.reserveCapacity(trieSize / 4)
        var i = 4
        while i < 4 + trieSize {
            trie.append(UInt32(bytes[i]) | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2]) << 16 | UInt32(bytes[i + 3]) << 24)
            i += 4
        }
        guard !trie.isEmpty else { throw bad("an empty trie") }
        self.trie = trie
        self.normalized = Array(bytes[(4 + trieSize)...])
        guard String(validating: normalized, as: UTF8.self) != nil else { throw bad("replacements that are not UTF-8") }
    }

    /// Parses a base64 charsmap, as `tokenizer.json` stores it.
    public init(base64 text: String, file: String = "precompiled_charsmap",
                path: String = "precompiled_charsmap") throws(TokenizerError) {
        guard let data = Data(base64Encoded: text) else {
            throw .invalidValue(file: file, path: path, expected: "base64", found: "\(text.prefix(20))…")
        }
        try self.init(charsmap: [UInt8](data), file: file, path: path)
    }

    /// The replacement of the shortest prefix of `bytes` in the trie (darts-clone `commonPrefixSearch`, first hit).
    func replacement<C: Collection<UInt8>>(of bytes: C) -> ArraySlice<UInt8>? {
        var position = 0
        var unit = trie[0]
        position ^= Self.offset(unit)
        for byte in bytes {
            if byte == 0 { break }
            position ^= Int(byte)
            guard position < trie.count else { return nil }
            unit = trie[position]
            guard unit & (1 << 31 | 0xFF) == UInt32(byte) else { return nil }
            position ^= Self.offset(unit)
            if (unit >> 8) & 1 == 1 {
                guard position < trie.count else { return nil }
                let start = Int(trie[position] & ((1 << 31) - 1))
                guard start <= normalized.count else { return nil }
                var end = start
                while end < normalized.count && normalized[end] != 0 { end += 1 }
                return normalized[start..<end]
            }
        }
        return nil
    }

    @inline(__always)
    private static func offset(_ unit: UInt32) -> Int {
        Int((unit >> 10) << ((unit & (1 << 9)) >> 6))
    }

    public func normalize(_ string: inout NormalizedString) {
        var changes = [(Unicode.Scalar, Int)]()
        changes.reserveCapacity(string.scalars.count + 8)
        var modified = false
        var utf8 = [UInt8]()

        func replace(_ oldCount: Int, _ new: ArraySlice<UInt8>) {
            let newScalars = String(decoding: new, as: UTF8.self).unicodeScalars
            let start = changes.count
            for s in newScalars { changes.append((s, 0)) }
            let diff = changes.count - start - oldCount
            if diff > 0 {
                for k in (changes.count - diff)..<changes.count { changes[k].1 = 1 }
            } else if diff < 0, !changes.isEmpty {
                changes[changes.count - 1].1 += diff
            }
        }

        var view = String.UnicodeScalarView()
        view.append(contentsOf: string.scalars)
        for grapheme in String(view) {
            let scalars = grapheme.unicodeScalars
            utf8.removeAll(keepingCapacity: true)
            utf8.append(contentsOf: grapheme.utf8)
            if utf8.count < 6, let new = replacement(of: utf8) {
                modified = true
                replace(scalars.count, new)
                continue
            }
            for s in scalars {
                utf8.removeAll(keepingCapacity: true)
                utf8.append(contentsOf: String(s).utf8)
                if let new = replacement(of: utf8) {
                    modified = true
                    replace(1, new)
                } else {
                    changes.append((s, 0))
                }
            }
        }
        if modified { string.transform(changes) }
    }
}
